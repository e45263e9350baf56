/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { BaseCommand, Kernel } from '@adonisjs/core/ace'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import { heldStatus } from './maintenance_hold.ts'

/**
 * What a command does while the site is PENDING or OFFLINE, declared on
 * its class:
 *
 * - `'hold'`: it does not run (when started by `node ace` or by the
 *   scheduler); it says so and exits with code 0
 * - `'run'`: it runs anyway, the scheduler included
 *
 * ```ts
 * export default class SendNewsletter extends BaseCommand {
 *   static maintenance: CommandMaintenance = 'hold'
 * }
 * ```
 */
export type CommandMaintenance = 'hold' | 'run'

export function maintenanceOf(command: object): CommandMaintenance | undefined {
  const declared = (command as { maintenance?: unknown }).maintenance
  return declared === 'hold' || declared === 'run' ? declared : undefined
}

const GUARDED = Symbol('site-maintenance.guarded')

/**
 * Make this command instance skip its `run()` while `held()` returns a
 * status. The instance's own `run` shadows the class's: Ace's kernel
 * offers hooks before and after a command, but none that can cancel it,
 * and the same wrap then works whichever kernel runs the command (the
 * app's, or the scheduler's own).
 */
export function guardRun(
  command: BaseCommand,
  held: () => Promise<string | null>,
  onHeld?: (label: string) => void
) {
  const target = command as BaseCommand & { [GUARDED]?: true }
  if (target[GUARDED]) return
  target[GUARDED] = true
  const run = command.run
  command.run = async function (this: BaseCommand, ...args: any[]) {
    const label = await held()
    if (label) {
      onHeld?.(label)
      return
    }
    return run.apply(this, args)
  }
}

/**
 * Commands declaring `static maintenance = 'hold'` do not run through
 * this kernel while the site is PENDING or OFFLINE
 */
export function holdMarkedCommands(kernel: Kernel, manager: () => Promise<MaintenanceManager>) {
  kernel.executing(async (command) => {
    if (maintenanceOf(command.constructor) !== 'hold') return
    const resolved = await manager()
    guardRun(
      command,
      () => heldStatus(resolved),
      (label) => {
        command.logger.info(
          `Skipped "${command.commandName}": the site is ${label} and this command holds during maintenance`
        )
      }
    )
  })
}
