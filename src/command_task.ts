/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomUUID } from 'node:crypto'
import { constants, hostname } from 'node:os'
import debug from './debug.ts'
import * as errors from './errors.ts'
import type { MaintenanceManager } from './maintenance_manager.ts'
import type { TaskRecord } from './types.ts'
import { MAX_TIMER } from './defaults.ts'
import { parseDuration } from './options.ts'
import { STOP_SIGNALS } from './command_runner.ts'

export interface CommandTaskOptions {
  /**
   * Start even while the site is PENDING or OFFLINE
   */
  force?: boolean
  /**
   * How long the task may go without a heartbeat before it is considered
   * crashed and no longer waited for ("2m"). Defaults to config `taskTimeout`.
   */
  timeout?: string | number
  /**
   * The manager to register with (defaults to the app's)
   */
  manager?: MaintenanceManager
}

/**
 * Ctrl-C, a supervisor, a terminal that hangs up: the signals the commands
 * that wait listen to
 */
const SIGNALS = STOP_SIGNALS

/**
 * A running background command that going offline waits for.
 *
 * ```ts
 * await using task = await CommandTask.start('import:users')
 * ```
 */
export class CommandTask implements AsyncDisposable {
  #timer: NodeJS.Timeout
  #finished = false
  #onSignal: (signal: NodeJS.Signals) => void

  protected constructor(
    readonly id: string,
    readonly name: string,
    protected manager: MaintenanceManager,
    protected timeout: number
  ) {
    /**
     * Beat three times per timeout, so one slow write does not make the
     * task look crashed
     */
    this.#timer = setInterval(
      () => {
        this.heartbeat().catch((error) => debug('heartbeat of %s failed: %O', this.id, error))
      },
      Math.max(Math.floor(timeout / 3), 50)
    )
    this.#timer.unref()

    /**
     * Stopped by Ctrl-C or a supervisor: record the failure, then end the
     * process. With no other listener the signal is re-raised; otherwise
     * the app's own handlers (`app.terminate()`) get a moment first, as
     * they close the app but do not stop a body that is still working.
     */
    this.#onSignal = (signal) => {
      this.finish('failed')
        .catch((error) => debug('could not record %s as failed: %O', this.id, error))
        .finally(() => {
          if (process.listenerCount(signal) === 0) {
            process.kill(process.pid, signal)
            return
          }
          setTimeout(() => process.exit(128 + constants.signals[signal]), 3000).unref()
        })
    }
    for (const sig of SIGNALS) process.on(sig, this.#onSignal)
  }

  /**
   * Register a running task. Refused while the site is going or gone
   * offline, unless `force` is set.
   */
  static async start(name: string, options: CommandTaskOptions = {}): Promise<CommandTask> {
    const manager = options.manager ?? (await defaultManager())
    const timeout =
      options.timeout === undefined
        ? manager.config.taskTimeout
        : parseDuration(options.timeout, 'CommandTask timeout', MAX_TIMER)

    const state = await manager.refresh()
    if (state.status !== 'online' && !options.force) {
      throw new errors.E_SITE_IN_MAINTENANCE([name, state.status.toUpperCase()])
    }

    const id = randomUUID()
    await manager.store.registerTask(runningTaskRecord(id, name, Date.now(), timeout))
    debug('task %s (%s) started', name, id)
    return new this(id, name, manager, timeout)
  }

  /**
   * Run `body` as a registered task; the row is finished or failed
   * however the body ends
   */
  static async run<T>(
    name: string,
    body: (task: CommandTask) => Promise<T> | T,
    options: CommandTaskOptions = {}
  ): Promise<T> {
    const task = await this.start(name, options)
    try {
      const result = await body(task)
      await task.finish('finished')
      return result
    } catch (error) {
      await task.finish('failed')
      throw error
    }
  }

  get isFinished() {
    return this.#finished
  }

  /**
   * Tell the census the task is still alive
   */
  async heartbeat() {
    if (this.#finished) return
    const now = Date.now()
    await this.manager.store.heartbeatTask(this.id, now, now + this.timeout)
  }

  /**
   * Mark the task finished (or failed). Idempotent.
   */
  async finish(status: 'finished' | 'failed' = 'finished') {
    if (this.#finished) return
    this.#finished = true
    clearInterval(this.#timer)
    for (const sig of SIGNALS) process.off(sig, this.#onSignal)
    await this.manager.store.finishTask(this.id, status, Date.now())
    debug('task %s (%s) %s', this.name, this.id, status)
  }

  /**
   * `await using` ends here: a body that threw is still disposed, and the
   * row is then marked finished (use `run()` to record failures)
   */
  async [Symbol.asyncDispose]() {
    await this.finish('finished')
  }
}

async function defaultManager(): Promise<MaintenanceManager> {
  const { default: app } = await import('@adonisjs/core/services/app')
  return app.container.make('maintenance.manager')
}

/**
 * The row of a task of this process that starts running at `now`: what
 * CommandTask and the queue workers' slots register
 */
export function runningTaskRecord(
  id: string,
  name: string,
  now: number,
  timeout: number
): TaskRecord {
  return {
    id,
    name,
    pid: process.pid,
    host: hostname(),
    startedAt: now,
    heartbeatAt: now,
    expiresAt: now + timeout,
    finishedAt: null,
    status: 'running',
  }
}
