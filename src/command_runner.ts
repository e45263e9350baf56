/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { constants } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BaseCommand } from '@adonisjs/core/ace'
import type { MaintenanceManager } from './maintenance_manager.ts'

/**
 * The signals that end a command's wait: Ctrl-C, what CI timeouts,
 * systemd and container runtimes send, and SIGHUP from an SSH session
 * or terminal that goes away. The starter kits' bin/console.ts answers
 * SIGTERM with app.terminate() only, which leaves a waiting command
 * running, and nothing answers SIGHUP, whose default kills the process
 * in the middle of a drain: all must end the wait the same way.
 */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * SIGINT, SIGTERM or SIGHUP, once one arrived. Listened to from the start
 * of the command, so a signal during a state write does not cut it in
 * half: it only ends the waiting that follows.
 */
export class Interrupt {
  #controller = new AbortController()
  signal: NodeJS.Signals | null = null

  get interrupted() {
    return this.signal !== null
  }

  /**
   * The shell's convention: 128 + the signal number (130 for SIGINT,
   * 143 for SIGTERM, 129 for SIGHUP)
   */
  get exitCode() {
    return this.signal ? 128 + constants.signals[this.signal] : 0
  }

  /**
   * Wait `ms`, or less when a signal arrives meanwhile
   */
  async sleep(ms: number) {
    await sleep(ms, undefined, { signal: this.#controller.signal }).catch(() => {})
  }

  receive = (signal: NodeJS.Signals) => {
    this.signal ??= signal
    if (signal === 'SIGHUP') ignoreLostTerminal()
    this.#controller.abort()
  }
}

/**
 * After a hang-up, writing to the terminal that is gone fails (EIO):
 * unhandled, that error would end the process before it undoes what it
 * did. What is written from then on is lost, the work goes on.
 */
function ignoreLostTerminal() {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.isTTY && stream.listenerCount('error') === 0) stream.on('error', () => {})
  }
}

export interface CommandRunOptions {
  /**
   * Catch SIGINT, SIGTERM and SIGHUP, to end a wait (commands that wait)
   */
  interruptible?: boolean
  /**
   * Report a failure in the command's own words; the default is the
   * error's message on one line. The exit code is 1 either way.
   */
  onError?: (error: Error, manager: MaintenanceManager) => void
}

/**
 * What every maintenance command does around its work: make the manager,
 * turn a failure into a one-line message and exit code 1, and close the
 * stores at the end whatever happened
 */
export async function runWithManager(
  command: BaseCommand,
  work: (manager: MaintenanceManager, interrupt: Interrupt) => Promise<void>,
  options: CommandRunOptions = {}
) {
  const manager = await command.app.container.make('maintenance.manager')
  const interrupt = new Interrupt()
  const signals = options.interruptible ? STOP_SIGNALS : []
  for (const signal of signals) process.on(signal, interrupt.receive)
  try {
    await work(manager, interrupt)
  } catch (error) {
    if (options.onError) options.onError(error as Error, manager)
    else command.logger.error((error as Error).message)
    command.exitCode = 1
  } finally {
    for (const signal of signals) process.off(signal, interrupt.receive)
    await manager.stop()
  }
}
