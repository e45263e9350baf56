/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { MaintenancePlugin } from './maintenance_plugin.ts'

/**
 * Queue workers held by `holdDuringMaintenance` (src/queue/): the census
 * then always reports its jobs in flight, zero included, so a drain shows
 * it waits for them
 */
export default function queuePlugin(): MaintenancePlugin {
  return {
    setup(manager) {
      manager.countsJobs = true
    },
  }
}
