/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { LoggerService } from '@adonisjs/core/types'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import { statusLabel } from '../state.ts'

type Logger = Pick<LoggerService, 'info'>

/**
 * The status label while the site is PENDING or OFFLINE, else null. Reads
 * the store unless the refresh loop already keeps the state fresh (in the
 * HTTP server); background work is not the request path.
 */
export async function heldStatus(manager: MaintenanceManager): Promise<string | null> {
  if (!manager.sync.running) await manager.load()
  return manager.isOnline ? null : statusLabel(manager.state)
}

/**
 * Whether background work (scheduled commands, marked Ace commands) must
 * hold still: the site is PENDING or OFFLINE. Each held job is logged
 * once per state it was held in, not once per tick of a scheduler that
 * fires every second.
 */
export class MaintenanceHold {
  /**
   * The state label each job was last logged as held in; cleared when
   * the site is ONLINE again
   */
  #logged = new Map<string, string>()

  constructor(
    protected manager: MaintenanceManager,
    protected logger: Logger
  ) {}

  /**
   * The status label when `job` must not run now, else null
   */
  async check(job: string): Promise<string | null> {
    const label = await heldStatus(this.manager)
    if (!label) {
      if (this.#logged.size) {
        this.#logged.clear()
        this.logger.info('site-maintenance: the site is ONLINE, held jobs run again')
      }
      return null
    }
    if (this.#logged.get(job) !== label) {
      this.#logged.set(job, label)
      this.logger.info(
        `site-maintenance: skipping "${job}" while the site is ${label} (logged once until the state changes)`
      )
    }
    return label
  }
}
