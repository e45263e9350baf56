/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { LoggerService } from '@adonisjs/core/types'
import type { MaintenanceManager } from './maintenance_manager.ts'
import { initialState } from './state.ts'
import { SerialRuns } from './utils.ts'
import type { MaintenanceState } from './types.ts'

type Logger = Pick<LoggerService, 'info' | 'error'>

/**
 * Keeps an app process's copy of the state fresh: a poll every
 * `refreshInterval` (which also promotes a finished drain), the store's
 * push notifications where it has them, and the `onStoreError` policy
 * while the state cannot be read.
 */
export class StateSync {
  #timer: NodeJS.Timeout | null = null
  #retry: NodeJS.Timeout | null = null
  /**
   * The read under way, and whether another was asked for meanwhile: one
   * read at a time, so a failed read's policy never lands on top of a
   * newer good read, and a notification during a read is not lost
   */
  #reads = new SerialRuns(() => this.#read())
  #lastError: Error | null = null

  constructor(
    protected manager: MaintenanceManager,
    protected logger?: Logger
  ) {}

  /**
   * The error of the last failed read while the store is out, else null
   */
  get lastError() {
    return this.#lastError
  }

  get running() {
    return this.#timer !== null
  }

  /**
   * Read the state once, then keep it fresh
   */
  async start() {
    if (this.#timer) return
    await this.tick()
    const store = this.manager.store
    if (store.subscribe) {
      await store
        .subscribe(() => {
          this.tick()
        })
        .catch((error) => this.#failed(error))
    }
    this.#timer = setInterval(() => this.tick(), this.manager.config.refreshInterval)
    this.#timer.unref()
  }

  /**
   * Read the state (applying the policy when it cannot be read), start
   * or end a scheduled window on time, and promote a finished drain
   */
  tick(): Promise<void> {
    return this.#reads.run()
  }

  async #read() {
    try {
      await this.manager.refresh()
      this.#recovered()
      if (this.manager.state.schedule) await this.manager.advanceSchedule()
      if (this.manager.state.status === 'pending') await this.manager.settle()
    } catch (error) {
      await this.#failed(error as Error)
    }
  }

  stop() {
    if (this.#timer) clearInterval(this.#timer)
    if (this.#retry) clearTimeout(this.#retry)
    this.#timer = null
    this.#retry = null
  }

  #recovered() {
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = null
    if (this.#lastError) {
      this.logger?.info(
        `site-maintenance: the maintenance state is readable again; the site is ${this.manager.state.status.toUpperCase()}`
      )
      this.#lastError = null
    }
  }

  /**
   * The state cannot be read: apply the `onStoreError` policy, log once
   * per outage, and retry quickly while the state in memory is assumed
   */
  async #failed(error: Error) {
    const first = !this.#lastError
    this.#lastError = error
    const reason = await this.#assume()
    if (first) {
      this.logger?.error(
        `site-maintenance: cannot read the maintenance state (${error.message}); ` +
          `answering as ${this.manager.state.status.toUpperCase()} (${reason}) until it reads again`
      )
    }
    if (this.manager.assumed && !this.#retry) {
      this.#retry = setTimeout(
        () => {
          this.#retry = null
          this.tick()
        },
        Math.min(250, this.manager.config.refreshInterval)
      )
      this.#retry.unref()
    }
  }

  /**
   * Put in memory the state the policy stands for, and say why
   */
  async #assume(): Promise<string> {
    const { onStoreError: policy, lockFile } = this.manager.config
    if (policy === 'last-known' && this.manager.loaded) return 'the last state read'

    const lock = await this.manager.mirror.evidence()
    if (policy === 'last-known' && !lock) {
      return lockFile
        ? `onStoreError "last-known": no lock file at ${lockFile}`
        : 'onStoreError "last-known" and no lock file configured'
    }
    if (!this.manager.assumed || this.manager.state.status !== 'offline') {
      const state: MaintenanceState = {
        ...initialState(),
        status: 'offline',
        revision: -1,
        since: lock?.since ?? Date.now(),
        retryAfter: lock?.retryAfter ?? null,
      }
      await this.manager.assume(state)
    }
    return lock
      ? `onStoreError "${policy}": the lock file ${lockFile} is present`
      : `onStoreError "offline"`
  }
}
