/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { EmitterService, LoggerService } from '@adonisjs/core/types'
import debug from './debug.ts'
import { HostMirror } from './host_mirror.ts'
import type { LoggedOutSessions } from './logged_out_sessions.ts'
import type { MaintenancePage } from './maintenance_page.ts'
import { initialState, statusLabel } from './state.ts'
import { SerialRuns } from './utils.ts'
import type {
  MaintenanceState,
  MaintenanceStoreContract,
  ResolvedMaintenanceConfig,
} from './types.ts'

type Logger = Pick<LoggerService, 'info' | 'warn' | 'error'>

/**
 * What the sync is given by the kernel that owns it
 */
export interface SyncSource {
  /**
   * The store to read: the configured one, or a fake's
   */
  store(): MaintenanceStoreContract
  /**
   * Whether this host's lock file and static page follow the state (not
   * while faked)
   */
  mirrored(): boolean
  /**
   * The steps after each read of the loop: start or end a scheduled
   * window on time, promote a finished drain
   */
  advanceSchedule(): Promise<unknown>
  settle(): Promise<unknown>
}

/**
 * Keeps an app process's copy of the state fresh: a poll every
 * `refreshInterval` (which also promotes a finished drain), the store's
 * push notifications where it has them, and the `onStoreError` policy
 * while the state cannot be read. It owns that copy: every read and
 * write of the state lands here, and the answer's bodies and this host's
 * lock file follow it.
 */
export class StateSync {
  #state: MaintenanceState = initialState()
  #loaded = false
  #assumed = false
  /**
   * Reads and writes are stamped in the order they start (a write once it
   * is stored); a read that finishes after a newer one was applied is
   * dropped, so a slow poll never undoes what a watch or a transition
   * just applied
   */
  #stamp = 0
  #appliedStamp = 0
  #timer: NodeJS.Timeout | null = null
  #retry: NodeJS.Timeout | null = null
  /**
   * The read under way, and whether another was asked for meanwhile: one
   * read at a time, so a failed read's policy never lands on top of a
   * newer good read, and a notification during a read is not lost
   */
  #reads = new SerialRuns(() => this.#read())
  #lastError: Error | null = null
  #page: Pick<MaintenancePage, 'prepare'>
  #emitter?: Pick<EmitterService, 'emit'>
  #loggedOut: Pick<LoggedOutSessions, 'load'>
  #logger?: Logger

  /**
   * This host's lock file and static page
   */
  readonly mirror: HostMirror

  constructor(
    protected config: ResolvedMaintenanceConfig,
    protected source: SyncSource,
    parts: {
      page: MaintenancePage
      loggedOut: Pick<LoggedOutSessions, 'load'>
      emitter?: Pick<EmitterService, 'emit'>
      logger?: Logger
    }
  ) {
    this.#page = parts.page
    this.#emitter = parts.emitter
    this.#loggedOut = parts.loggedOut
    this.#logger = parts.logger
    this.mirror = new HostMirror(config, parts.page, parts.logger)
  }

  /**
   * The state as last read; no I/O
   */
  get state(): Readonly<MaintenanceState> {
    return this.#state
  }

  /**
   * Whether a state was ever read from the store
   */
  get loaded() {
    return this.#loaded
  }

  /**
   * True while the state in memory was not read from the store but
   * assumed by the `onStoreError` policy
   */
  get assumed() {
    return this.#assumed
  }

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
    const store = this.source.store()
    if (store.subscribe) {
      await store
        .subscribe(() => {
          this.tick()
        })
        .catch((error) => this.#failed(error))
    }
    this.#timer = setInterval(() => this.tick(), this.config.refreshInterval)
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
      await this.refresh()
      this.#recovered()
      if (this.#state.schedule) await this.source.advanceSchedule()
      if (this.#state.status === 'pending') await this.source.settle()
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

  /**
   * Read the state from the store and apply it in memory
   */
  async refresh(): Promise<MaintenanceState> {
    const stamp = this.stamp()
    const store = this.source.store()
    const state = (await store.read()) ?? initialState()
    await this.#loggedOut.load(store, state)
    await this.apply(state, stamp)
    return this.#state
  }

  /**
   * The stamp of a read that starts now (see `apply`)
   */
  stamp() {
    return ++this.#stamp
  }

  /**
   * Adopt a state read or written, emitting the event when the status
   * changed and mirroring OFFLINE onto this host's lock file. A read
   * stamped before the last state applied is dropped; without a stamp the
   * state is the newest (a write once stored).
   */
  async apply(state: MaintenanceState, stamp: number = this.stamp()) {
    if (stamp < this.#appliedStamp) {
      debug('dropped a stale read of revision %d', state.revision)
      return
    }
    this.#appliedStamp = stamp
    const previous = this.#state
    const wasAssumed = this.#assumed
    this.#state = state
    this.#assumed = false
    const firstLoad = !this.#loaded
    this.#loaded = true
    if (firstLoad || wasAssumed || previous.revision !== state.revision) {
      await this.#page.prepare(state)
    }
    const changed =
      previous.status !== state.status || Boolean(previous.readOnly) !== Boolean(state.readOnly)
    if (changed && !firstLoad && !wasAssumed) {
      debug('status changed from %s to %s', statusLabel(previous), statusLabel(state))
      this.#emitter?.emit(`maintenance:${state.status}`, { state, previous: previous.status })
    }
    if (this.source.mirrored()) await this.mirror.reflect(state)
  }

  /**
   * Another process may have written a newer state while this one was
   * mirroring its own onto the lock file. Reading back after the mirror
   * makes the last writer's state win on disk.
   */
  async reconcile() {
    for (let attempt = 0; attempt < 5; attempt++) {
      const stamp = this.stamp()
      const fresh = (await this.source.store().read()) ?? initialState()
      if (fresh.revision === this.#state.revision) return
      await this.apply(fresh, stamp)
    }
  }

  #recovered() {
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = null
    if (this.#lastError) {
      this.#logger?.info(
        `site-maintenance: the maintenance state is readable again; the site is ${this.#state.status.toUpperCase()}`
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
    const reason = await this.#applyPolicy()
    if (first) {
      this.#logger?.error(
        `site-maintenance: cannot read the maintenance state (${error.message}); ` +
          `answering as ${this.#state.status.toUpperCase()} (${reason}) until it reads again`
      )
    }
    if (this.#assumed && !this.#retry) {
      this.#retry = setTimeout(
        () => {
          this.#retry = null
          this.tick()
        },
        Math.min(250, this.config.refreshInterval)
      )
      this.#retry.unref()
    }
  }

  /**
   * Put in memory the state the policy stands for, and say why
   */
  async #applyPolicy(): Promise<string> {
    const { onStoreError: policy, lockFile } = this.config
    if (policy === 'last-known' && this.#loaded) return 'the last state read'

    const lock = await this.mirror.evidence()
    if (policy === 'last-known' && !lock) {
      return lockFile
        ? `onStoreError "last-known": no lock file at ${lockFile}`
        : 'onStoreError "last-known" and no lock file configured'
    }
    if (!this.#assumed || this.#state.status !== 'offline') {
      await this.#assume({
        ...initialState(),
        status: 'offline',
        revision: -1,
        since: lock?.since ?? Date.now(),
        retryAfter: lock?.retryAfter ?? null,
      })
    }
    return lock
      ? `onStoreError "${policy}": the lock file ${lockFile} is present`
      : `onStoreError "offline"`
  }

  /**
   * Hold `state` in memory without it having been read (the `onStoreError`
   * policy): no event, no mirror, until a real read replaces it
   */
  async #assume(state: MaintenanceState) {
    await this.#page.prepare(state)
    this.#state = state
    this.#assumed = true
  }
}
