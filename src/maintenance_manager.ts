/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { EmitterService, LoggerService } from '@adonisjs/core/types'
import { censusTotal } from './census_line.ts'
import { takeCensus } from './census.ts'
import * as errors from './errors.ts'
import { MaintenancePage } from './maintenance_page.ts'
import { historyAfter, initialState } from './state.ts'
import { LoggedOutSessions } from './logged_out_sessions.ts'
import { SessionPresence } from './session_presence.ts'
import { StateSync } from './state_sync.ts'
import { FakeLifecycle } from './fake_lifecycle.ts'
import { validateActivateOptions } from './options.ts'
import type { FakeStatus, MaintenanceFake } from './maintenance_fake.ts'
import type {
  ActivateOptions,
  Census,
  MaintenanceState,
  MaintenanceStatus,
  MaintenanceStoreContract,
  MaintenanceStoreName,
  ResolvedMaintenanceConfig,
} from './types.ts'
import { whoAmI } from './utils.ts'
import {
  type EnteredState,
  type Entry,
  backOnline,
  enteredState,
  entryFrom,
  scheduleDue,
  scheduleStep,
  startedWindow,
} from './transitions.ts'
import { describeReplacement, describeTransition } from './transition_log.ts'
import { windowEntered, windowToCome } from './window.ts'

type Logger = Pick<LoggerService, 'info' | 'warn' | 'error'>

/**
 * Outcome of activate/deactivate
 */
export interface TransitionResult {
  changed: boolean
  state: MaintenanceState
  /**
   * The state the transition started from
   */
  previous: MaintenanceState
  census: Census | null
}

/**
 * The state machine ONLINE → PENDING → OFFLINE → ONLINE. Keeps the current
 * state in memory for the request path; every write goes through the
 * store's compare-and-set, so a transition happens once whoever races it.
 */
export class MaintenanceManager {
  #stores = new Map<string, MaintenanceStoreContract>()
  #fakes: FakeLifecycle
  #loggedOut = new LoggedOutSessions()
  #presence: SessionPresence

  /**
   * Set by the provider when the app's queue workers are held during
   * maintenance (site-maintenance/queue): the census then always says
   * how many jobs are in flight, none included
   */
  countsJobs = false

  /**
   * The maintenance answer's bodies, prepared on every state change
   */
  readonly page: MaintenancePage

  /**
   * The refresh loop of an app process (started by the provider), which
   * holds the state in memory
   */
  readonly sync: StateSync

  constructor(
    readonly config: ResolvedMaintenanceConfig,
    protected emitter?: Pick<EmitterService, 'emit'>,
    protected logger?: Logger
  ) {
    this.page = new MaintenancePage(config)
    this.sync = new StateSync(
      config,
      {
        store: () => this.store,
        mirrored: () => !this.#fakes.active,
        advanceSchedule: () => this.advanceSchedule(),
        settle: () => this.settle(),
      },
      { page: this.page, loggedOut: this.#loggedOut, emitter, logger }
    )
    this.#fakes = new FakeLifecycle(this, this.sync)
    this.#presence = new SessionPresence(config, this, this.#loggedOut)
  }

  /**
   * The store instance, created on first use
   */
  use(
    name: MaintenanceStoreName = this.config.default as MaintenanceStoreName
  ): MaintenanceStoreContract {
    let store = this.#stores.get(name)
    if (!store) {
      const factory = this.config.stores[name]
      if (!factory) {
        throw new errors.E_INVALID_OPTION([`Unknown maintenance store "${name}"`])
      }
      store = factory()
      this.#stores.set(name, store)
    }
    return store
  }

  get store(): MaintenanceStoreContract {
    return this.#fakes.store ?? this.use()
  }

  /**
   * For the tests of apps: run on an in-memory store in `status` until the
   * returned fake is restored, which happens by itself after the Japa test
   * that called it. Nothing reaches the configured store or this host's
   * lock file meanwhile; requests, the banner and events behave as in that
   * status.
   */
  fake(status: FakeStatus = 'offline', options: ActivateOptions = {}): Promise<MaintenanceFake> {
    return this.#fakes.fake(status, options)
  }

  /**
   * The state as last read; no I/O
   */
  get state(): Readonly<MaintenanceState> {
    return this.sync.state
  }

  get status(): MaintenanceStatus {
    return this.sync.state.status
  }

  get isOnline() {
    return this.status === 'online'
  }

  get isPending() {
    return this.status === 'pending'
  }

  get isOffline() {
    return this.status === 'offline'
  }

  /**
   * The error of the last failed read while the store is out, else null
   */
  get lastError() {
    return this.sync.lastError
  }

  /**
   * Whether a state was ever read from the store
   */
  get loaded() {
    return this.sync.loaded
  }

  /**
   * True while the state in memory was not read from the store but
   * assumed by the `onStoreError` policy
   */
  get assumed() {
    return this.sync.assumed
  }

  /**
   * Read the state once, and on failure apply the `onStoreError` policy
   * instead of failing: what a process does before it serves requests
   */
  async load() {
    await this.sync.tick()
  }

  /**
   * Read the state from the store and apply it in memory
   */
  refresh(): Promise<MaintenanceState> {
    return this.sync.refresh()
  }

  /**
   * Whether this session logged out (known while PENDING; no I/O)
   */
  hasLoggedOut(sessionId: string) {
    return this.#loggedOut.has(sessionId)
  }

  /**
   * Count what keeps the site from going offline
   */
  census(now: number = Date.now()): Promise<Census> {
    return takeCensus(this.store, now, this.countsJobs)
  }

  /**
   * Read-modify-write through compare-and-set, retried when another
   * writer got there first. `mutate` returns null for "nothing to do".
   * A corrupt record throws, unless the caller asked to replace it
   * (`replaceCorrupt`): `mutate` then gets `corrupt` true and an ONLINE
   * state at the revision the store still knows.
   */
  async #transition(
    options: { replaceCorrupt?: boolean },
    mutate: (current: MaintenanceState, corrupt: boolean) => Promise<MaintenanceState | null>
  ): Promise<{ changed: boolean; state: MaintenanceState; previous: MaintenanceState }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const readStamp = this.sync.stamp()
      const read = await this.#readForWrite(!!options.replaceCorrupt)
      if (!read) continue
      const { current, corrupt } = read
      const next = await mutate(current, corrupt !== null)
      if (!next) {
        await this.sync.apply(current, readStamp)
        await this.sync.reconcile()
        /**
         * The state that made it a no-op, not a newer one another writer
         * put in meanwhile: `offline:on --force` racing an `offline:off`
         * found the site OFFLINE, which is what it reports
         */
        return { changed: false, state: current, previous: current }
      }
      next.revision = current.revision + 1
      const history = historyAfter(current, next)
      if (history) next.history = history
      const written = corrupt
        ? await this.store.replaceCorrupt!(next, corrupt.record)
        : await this.store.compareAndSet(next, current.revision)
      if (written) {
        if (corrupt) {
          this.logger?.warn(describeReplacement(next, corrupt))
        } else {
          this.logger?.info(describeTransition(current, next))
        }
        await this.sync.apply(next)
        await this.sync.reconcile()
        return { changed: true, state: next, previous: current }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20))
    }
    throw new errors.E_CONCURRENT_UPDATE()
  }

  /**
   * The state a transition starts from. With `replaceCorrupt`, a corrupt
   * record comes back as `corrupt` (with the revision the store still
   * knows), provided the store can replace it; null when it vanished
   * between the two reads.
   */
  async #readForWrite(replaceCorrupt: boolean) {
    try {
      const current = (await this.store.read()) ?? initialState()
      return { current, corrupt: null }
    } catch (error) {
      const store = this.store
      if (
        !replaceCorrupt ||
        !(error instanceof errors.E_CORRUPT_STATE) ||
        !store.readRaw ||
        !store.replaceCorrupt
      ) {
        throw error
      }
      const record = await store.readRaw()
      if (!record) return null
      return {
        current: { ...initialState(), revision: record.revision },
        corrupt: { record, error: error as Error },
      }
    }
  }

  /**
   * Take the site down: OFFLINE at once when forced or nothing is running,
   * PENDING with a deadline otherwise. With `readOnly`, READ-ONLY at once
   * from any state: reads keep working and writes are refused for
   * everyone alike, so there is nothing to drain.
   */
  async activate(options: ActivateOptions = {}): Promise<TransitionResult> {
    const settings = validateActivateOptions(options, this.config)
    const how = { force: !!options.force, readOnly: !!options.readOnly, timeout: settings.timeout }
    let census: Census | null = null

    /**
     * A window to come: the ONLINE state records it with the window's
     * settings, and every instance's sync starts it on time
     */
    if (settings.at !== null) {
      const result = await this.#transition({}, async (current) =>
        windowToCome(current, options, settings, this.config.secretKey)
      )
      return { ...result, census }
    }

    /**
     * A forced activation states the outcome wanted: it replaces a
     * corrupt record. Without --force it stays an error.
     */
    const result = await this.#transition(
      { replaceCorrupt: how.force },
      async (current, corrupt) => {
        const entered = await this.#enter(current, corrupt, how)
        if (!entered) return null
        census = entered.census
        return windowEntered(current, entered.state, options, settings, this.config.secretKey)
      }
    )
    return { ...result, census }
  }

  /**
   * The status a window enters from `current` (see transitions.ts),
   * counting the drain when it depends on it; null when `current` is that
   * already
   */
  async #enter(
    current: MaintenanceState,
    corrupt: boolean,
    how: Entry
  ): Promise<{ state: EnteredState; census: Census | null } | null> {
    const entry = entryFrom(current, corrupt, how)
    if (entry === 'unchanged') return null
    const now = Date.now()
    const census = entry === 'census' ? await this.census(now) : null
    return { census, state: enteredState(current, how, census, now) }
  }

  /**
   * Start a scheduled window whose time has come, or end one whose
   * `endsAt` has passed: called by every instance's sync on each read,
   * the compare-and-set lets one of them do it
   */
  async advanceSchedule(now: number = Date.now()): Promise<TransitionResult | null> {
    if (!scheduleDue(this.sync.state, now)) return null
    let census: Census | null = null
    const result = await this.#transition({}, async (current) => {
      const step = scheduleStep(current, now)
      if (!step) return null
      if ('ends' in step) return step.ends
      const entered = await this.#enter(current, false, step.starts)
      if (!entered) return null
      census = entered.census
      return startedWindow(current, entered.state, step.starts)
    })
    return { ...result, census }
  }

  /**
   * Bring the site back from PENDING or OFFLINE, or from a corrupt record
   * (replaced, and logged at warn)
   */
  async deactivate(options: { requestedBy?: string } = {}): Promise<TransitionResult> {
    const result = await this.#transition({ replaceCorrupt: true }, async (current, corrupt) => {
      if (!corrupt && current.status === 'online' && !current.schedule) return null
      return backOnline(Date.now(), options.requestedBy ?? whoAmI())
    })
    return { ...result, census: null }
  }

  /**
   * Promote PENDING to OFFLINE when the drain is over or the deadline has
   * passed. Safe to call from every process: the compare-and-set lets one
   * of them win.
   */
  async settle(): Promise<{ state: MaintenanceState; census: Census | null }> {
    let census: Census | null = null
    const { state } = await this.#transition({}, async (current) => {
      if (current.status !== 'pending') return null
      const now = Date.now()
      if (current.deadline === null || now < current.deadline) {
        census = await this.census(now)
        if (censusTotal(census) > 0) return null
      }
      return { ...current, status: 'offline', since: now }
    })
    return { state, census }
  }

  /**
   * Record that a logged-in session made a request (see SessionPresence);
   * false when throttled
   */
  touchSession(sessionId: string, userId: string | number | null) {
    return this.#presence.touch(sessionId, userId)
  }

  /**
   * A logout ends the session's presence at once (see SessionPresence)
   */
  dropSession(sessionId: string) {
    return this.#presence.drop(sessionId)
  }

  /**
   * Keep the in-memory state fresh (see StateSync)
   */
  async start() {
    await this.sync.start()
  }

  /**
   * Stop refreshing and close the stores
   */
  async stop() {
    this.sync.stop()
    for (const store of this.#stores.values()) await store.close()
    this.#stores.clear()
  }
}
