/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import string from '@adonisjs/core/helpers/string'
import type { BaseCommand } from '@adonisjs/core/ace'
import { describeCensus } from './census_line.ts'
import type { Interrupt } from './command_runner.ts'
import type { MaintenanceManager } from './maintenance_manager.ts'
import type { MaintenanceState } from './types.ts'

export type DrainOutcome =
  /**
   * The site is OFFLINE
   */
  | 'offline'
  /**
   * Someone ran offline:off meanwhile: the site is ONLINE
   */
  | 'cancelled'
  /**
   * SIGINT, SIGTERM or SIGHUP ended the wait; the site is still PENDING
   */
  | 'interrupted'

/**
 * Wait for a PENDING site to go OFFLINE, promoting it when the drain is
 * over (any process may: compare-and-set), with a live count of what is
 * left: redrawn in place on a terminal, one line per change of the count
 * otherwise (logs, CI)
 */
export async function waitForDrain(
  command: BaseCommand,
  manager: MaintenanceManager,
  interrupt: Interrupt
): Promise<{ outcome: DrainOutcome; state: MaintenanceState }> {
  const interval = Math.min(Math.max(manager.config.refreshInterval, 100), 1000)
  const tty = process.stdout.isTTY
  const clear = () => tty && process.stdout.write('\r\x1b[2K')
  let lastCount = ''
  let state: MaintenanceState = manager.state
  while (!interrupt.interrupted) {
    const settled = await manager.settle()
    state = settled.state
    if (state.status !== 'pending') {
      clear()
      return { outcome: state.status === 'offline' ? 'offline' : 'cancelled', state }
    }
    const count = describeCensus(settled.census ?? (await manager.census()))
    const left = Math.max(0, Math.ceil((state.deadline! - Date.now()) / 1000))
    if (tty) {
      process.stdout.write(`\r\x1b[2K${count} — ${string.seconds.format(left, true)} left`)
    } else if (count !== lastCount) {
      command.logger.log(`${count} — ${string.seconds.format(left, true)} left`)
    }
    lastCount = count
    await interrupt.sleep(interval)
  }
  clear()
  return { outcome: 'interrupted', state }
}
