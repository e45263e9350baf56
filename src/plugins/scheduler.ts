/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { MaintenanceHold } from '../background/maintenance_hold.ts'
import { holdScheduler } from '../background/scheduler_hold.ts'
import type { MaintenancePlugin } from './maintenance_plugin.ts'

/**
 * adonisjs-scheduler's schedules hold still while the site is PENDING or
 * OFFLINE, hooked on the app resolving its scheduler (`scheduler:run`)
 */
export default function schedulerPlugin(): MaintenancePlugin {
  return {
    boot({ app, manager }) {
      const container = app.container as unknown as {
        resolving(binding: string, callback: (value: any) => unknown): void
      }
      container.resolving('scheduler', async (scheduler) => {
        const logger = await app.container.make('logger')
        holdScheduler(app, scheduler, new MaintenanceHold(await manager(), logger))
      })
    },
  }
}
