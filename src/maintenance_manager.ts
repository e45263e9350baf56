/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash } from 'node:crypto'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { EmitterService, LoggerService } from '@adonisjs/core/types'
import debug from './debug.ts'
import * as errors from './errors.ts'
import { MaintenancePage } from './maintenance_page.ts'
import { initialState } from './state.ts'
import { writeAtomic } from './stores/file.ts'
import type {
  ActivateOptions,
  Census,
  MaintenanceState,
  MaintenanceStatus,
  MaintenanceStoreContract,
  MaintenanceStoreName,
  ResolvedMaintenanceConfig,
} from './types.ts'
import { hashSecret, normaliseAllowEntry, whoAmI } from './utils.ts'

type Logger = Pick<LoggerService, 'info' | 'warn' | 'error'>

/**
 * Outcome of activate/deactivate
 */
export interface TransitionResult {
  changed: boolean
  state: MaintenanceState
  census: Census | null
}

/**
 * The state machine ONLINE → PENDING → OFFLINE → ONLINE. Keeps the current
 * state in memory for the request path; every write goes through the
 * store's compare-and-set, so a transition happens once whoever races it.
 */
export class MaintenanceManager {
  #state: MaintenanceState = initialState()
  #loaded = false
  #stores = new Map<string, MaintenanceStoreContract>()
  #timer: NodeJS.Timeout | null = null
  #ticking = false
  #lastError: Error | null = null
  #assumed = false
  #retry: NodeJS.Timeout | null = null
  #presence = new Map<string, number>()
  #loggedOut = new Set<string>()
  #writing = new Map<string, Promise<void>>()

  /**
   * The maintenance answer's bodies, prepared on every state change
   */
  readonly page: MaintenancePage

  constructor(
    readonly config: ResolvedMaintenanceConfig,
    protected emitter?: Pick<EmitterService, 'emit'>,
    protected logger?: Logger
  ) {
    this.page = new MaintenancePage(config)
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

  get store() {
    return this.use()
  }

  /**
   * The state as last read; no I/O
   */
  get state(): Readonly<MaintenanceState> {
    return this.#state
  }

  get status(): MaintenanceStatus {
    return this.#state.status
  }

  get isOnline() {
    return this.#state.status === 'online'
  }

  get isPending() {
    return this.#state.status === 'pending'
  }

  get isOffline() {
    return this.#state.status === 'offline'
  }

  /**
   * The error of the last failed refresh, if the store is unreachable or
   * its record is corrupt (the previous state stays in force meanwhile)
   */
  get lastError() {
    return this.#lastError
  }

  /**
   * True while the state in memory was not read from the store but
   * assumed by the `onStoreError` policy
   */
  get assumed() {
    return this.#assumed
  }

  /**
   * Read the state once, and on failure apply the `onStoreError` policy
   * instead of failing: what a process does before it serves requests
   */
  async load() {
    try {
      await this.refresh()
      this.#recovered()
    } catch (error) {
      await this.#failed(error as Error)
    }
  }

  /**
   * Read the state from the store and apply it in memory
   */
  async refresh(): Promise<MaintenanceState> {
    const state = (await this.store.read()) ?? initialState()
    await this.#loadLoggedOut(state)
    await this.#apply(state)
    return state
  }

  /**
   * While PENDING, the sessions that logged out (in any process) are
   * known in memory before the state is applied, so a copied marker of
   * one of them never passes; nothing is read in the other states
   */
  async #loadLoggedOut(state: MaintenanceState) {
    if (state.status !== 'pending') {
      if (this.#loggedOut.size) this.#loggedOut = new Set()
      return
    }
    this.#loggedOut = new Set(await this.store.loggedOutSessions(Date.now()))
  }

  /**
   * Whether this session logged out (known while PENDING; no I/O)
   */
  hasLoggedOut(sessionId: string) {
    return this.#loggedOut.size > 0 && this.#loggedOut.has(sessionKey(sessionId))
  }

  /**
   * Adopt a state read or written, emitting the event when the status
   * changed and mirroring OFFLINE onto this host's lock file
   */
  async #apply(state: MaintenanceState) {
    const previous = this.#state
    const wasAssumed = this.#assumed
    this.#state = state
    this.#assumed = false
    const firstLoad = !this.#loaded
    this.#loaded = true
    if (firstLoad || wasAssumed || previous.revision !== state.revision) {
      await this.page.prepare(state)
      if (state.status === 'offline' && (firstLoad || previous.status !== 'offline')) {
        await this.page
          .writeStatic(state)
          .catch((error) =>
            this.logger?.warn(`site-maintenance: cannot write the static page (${error.message})`)
          )
      }
    }
    if (previous.status !== state.status && !firstLoad && !wasAssumed) {
      debug('status changed from %s to %s', previous.status, state.status)
      this.emitter?.emit(`maintenance:${state.status}`, { state, previous: previous.status })
    }
    await this.syncLockFile()
  }

  /**
   * Another process may have written a newer state while this one was
   * mirroring its own onto the lock file. Reading back after the mirror
   * makes the last writer's state win on disk.
   */
  async #reconcile() {
    for (let attempt = 0; attempt < 5; attempt++) {
      const fresh = (await this.store.read()) ?? initialState()
      if (fresh.revision === this.#state.revision) return
      await this.#apply(fresh)
    }
  }

  /**
   * The web-server lock file exists exactly while OFFLINE
   */
  async syncLockFile() {
    const lockFile = this.config.lockFile
    if (!lockFile) return
    if (this.#state.status === 'offline') {
      await mkdir(dirname(lockFile), { recursive: true })
      const contents = JSON.stringify({
        since: new Date(this.#state.since).toISOString(),
        retryAfter: this.#state.retryAfter ?? this.config.retryAfter,
      })
      await writeAtomic(lockFile, contents + '\n')
    } else {
      await rm(lockFile, { force: true })
    }
  }

  /**
   * Count what keeps the site from going offline
   */
  async census(now: number = Date.now()): Promise<Census> {
    const [activeSessions, tasks] = await Promise.all([
      this.store.countSessions(now),
      this.store.runningTasks(now),
    ])
    return { activeSessions, runningTasks: tasks.length }
  }

  /**
   * Read-modify-write through compare-and-set, retried when another
   * writer got there first. `mutate` returns null for "nothing to do".
   */
  async #transition(
    mutate: (current: MaintenanceState) => Promise<MaintenanceState | null>
  ): Promise<{ changed: boolean; state: MaintenanceState }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const current = (await this.store.read()) ?? initialState()
      const next = await mutate(current)
      if (!next) {
        await this.#apply(current)
        await this.#reconcile()
        return { changed: false, state: this.#state }
      }
      next.revision = current.revision + 1
      if (await this.store.compareAndSet(next, current.revision)) {
        this.logger?.info(describeTransition(current, next))
        await this.#apply(next)
        await this.#reconcile()
        return { changed: true, state: next }
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20))
    }
    throw new errors.E_CONCURRENT_UPDATE()
  }

  /**
   * Take the site down: OFFLINE at once when forced or nothing is running,
   * PENDING with a deadline otherwise
   */
  async activate(options: ActivateOptions = {}): Promise<TransitionResult> {
    const settings = this.#validate(options)
    let census: Census | null = null

    const result = await this.#transition(async (current) => {
      if (current.status === 'offline') return null
      if (current.status === 'pending' && !options.force) return null

      const now = Date.now()
      census = await this.census(now)
      const drained = census.activeSessions + census.runningTasks === 0
      const status: MaintenanceStatus = options.force || drained ? 'offline' : 'pending'
      const keep = current.status === 'pending' ? current : null

      return {
        ...initialState(),
        status,
        since: now,
        drainStartedAt: keep?.drainStartedAt ?? now,
        deadline: status === 'pending' ? now + settings.timeout : null,
        message: options.message ?? keep?.message ?? null,
        retryAfter: settings.retryAfter ?? keep?.retryAfter ?? null,
        redirect: options.redirect ?? keep?.redirect ?? null,
        forced: !!options.force,
        requestedBy: options.requestedBy ?? whoAmI(),
        secretHash: options.secret ? hashSecret(options.secret) : (keep?.secretHash ?? null),
        allow: settings.allow ?? keep?.allow ?? [],
      }
    })
    return { ...result, census }
  }

  /**
   * Bring the site back from PENDING or OFFLINE
   */
  async deactivate(options: { requestedBy?: string } = {}): Promise<TransitionResult> {
    const result = await this.#transition(async (current) => {
      if (current.status === 'online') return null
      return {
        ...initialState(),
        since: Date.now(),
        requestedBy: options.requestedBy ?? whoAmI(),
      }
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
    const { state } = await this.#transition(async (current) => {
      if (current.status !== 'pending') return null
      const now = Date.now()
      if (current.deadline === null || now < current.deadline) {
        census = await this.census(now)
        if (census.activeSessions + census.runningTasks > 0) return null
      }
      return { ...current, status: 'offline', since: now }
    })
    return { state, census }
  }

  #validate(options: ActivateOptions) {
    const timeout = options.timeout ?? this.config.drainTimeout ?? this.config.sessionIdleAge
    if (!Number.isFinite(timeout) || timeout < 0) {
      throw new errors.E_INVALID_OPTION([`Invalid drain timeout "${options.timeout}"`])
    }

    let retryAfter: number | string | undefined
    if (options.retryAfter !== undefined) {
      retryAfter = parseRetryAfter(options.retryAfter)
    }

    if (options.redirect !== undefined && !isSafeRedirect(options.redirect)) {
      throw new errors.E_INVALID_OPTION([
        `Invalid --redirect "${options.redirect}". Use an absolute http(s) URL or a path starting with "/"`,
      ])
    }

    if (options.secret !== undefined && !/^[A-Za-z0-9_-]{8,128}$/.test(options.secret)) {
      throw new errors.E_INVALID_OPTION([
        'Invalid --secret: use 8 to 128 letters, digits, "-" or "_"',
      ])
    }

    let allow: string[] | undefined
    if (options.allow !== undefined) {
      allow = options.allow.map((entry) => normaliseAllowEntry(entry))
    }
    return { timeout, retryAfter, allow }
  }

  /**
   * Record that a logged-in session made a request. Throttled in memory:
   * at most one store write per session per presence interval. The raw
   * session id is a bearer token, so only its hash is stored.
   */
  async touchSession(sessionId: string, userId: string | number | null) {
    const key = sessionKey(sessionId)
    const now = Date.now()
    const last = this.#presence.get(key)
    if (last !== undefined && now - last < this.config.presenceInterval) return false
    this.#presence.set(key, now)
    if (this.#presence.size > 100_000) this.#prunePresence(now)
    const write = this.store.touchSession(key, userId, now + this.config.sessionIdleAge)
    this.#writing.set(key, write)
    try {
      await write
    } finally {
      if (this.#writing.get(key) === write) this.#writing.delete(key)
    }
    return true
  }

  /**
   * A logout ends the session's presence at once. The drop wins over a
   * presence write still in flight for that session (the login's, say:
   * the file store's write lands by a rename, which would bring the entry
   * back after the removal), and the throttle entry stays as a tombstone
   * so a request of that session still in flight does not record it
   * again: a logged-out session id never logs in again (login
   * regenerates it).
   */
  async dropSession(sessionId: string) {
    const key = sessionKey(sessionId)
    this.#presence.set(key, Date.now())
    this.#loggedOut.add(key)
    const write = this.#writing.get(key)
    if (write) await write.catch(() => {})
    await this.store.dropSession(key, Date.now() + this.config.sessionIdleAge)
  }

  #prunePresence(now: number) {
    for (const [key, at] of this.#presence) {
      if (now - at >= this.config.presenceInterval) this.#presence.delete(key)
    }
  }

  /**
   * Keep the in-memory state fresh: pub/sub where the store has it, and a
   * poll every `refreshInterval`, which also promotes a finished drain
   */
  async start() {
    if (this.#timer) return
    await this.#tick()
    if (this.store.subscribe) {
      await this.store
        .subscribe(() => {
          this.refresh()
            .then(() => this.#recovered())
            .catch((error) => this.#failed(error))
        })
        .catch((error) => this.#failed(error))
    }
    this.#timer = setInterval(() => this.#tick(), this.config.refreshInterval)
    this.#timer.unref()
  }

  async #tick() {
    if (this.#ticking) return
    this.#ticking = true
    try {
      await this.refresh()
      this.#recovered()
      if (this.#state.status === 'pending') await this.settle()
    } catch (error) {
      await this.#failed(error as Error)
    } finally {
      this.#ticking = false
    }
  }

  #recovered() {
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = null
    if (this.#lastError) {
      this.logger?.info(
        `site-maintenance: the maintenance store is readable again; the site is ${this.#state.status.toUpperCase()}`
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
    const assumed = await this.#assume()
    if (first) {
      this.logger?.error(
        `site-maintenance: cannot read the maintenance state (${error.message}); ` +
          `answering as ${this.#state.status.toUpperCase()} (${assumed}) until it reads again`
      )
    }
    if (this.#assumed && !this.#retry) {
      this.#retry = setTimeout(
        () => {
          this.#retry = null
          this.#tick()
        },
        Math.min(250, this.config.refreshInterval)
      )
      this.#retry.unref()
    }
  }

  /**
   * The state to hold while the store cannot be read, and why
   */
  async #assume(): Promise<string> {
    const policy = this.config.onStoreError
    if (policy === 'last-known' && this.#loaded) return 'the last state read'

    const lock = await readLockFile(this.config.lockFile)
    if (policy === 'last-known' && !lock) {
      return this.config.lockFile
        ? `onStoreError "last-known": no lock file at ${this.config.lockFile}`
        : 'onStoreError "last-known" and no lock file configured'
    }
    if (!this.#assumed || this.#state.status !== 'offline') {
      const state: MaintenanceState = {
        ...initialState(),
        status: 'offline',
        revision: -1,
        since: lock?.since ?? Date.now(),
        retryAfter: lock?.retryAfter ?? null,
      }
      await this.page.prepare(state)
      this.#state = state
      this.#assumed = true
    }
    return lock
      ? `onStoreError "${policy}": the lock file ${this.config.lockFile} is present`
      : `onStoreError "offline"`
  }

  /**
   * Stop refreshing and close the stores
   */
  async stop() {
    if (this.#timer) clearInterval(this.#timer)
    if (this.#retry) clearTimeout(this.#retry)
    this.#timer = null
    this.#retry = null
    for (const store of this.#stores.values()) await store.close()
    this.#stores.clear()
  }
}

/**
 * What the host's lock file says: null when absent (or turned off); an
 * unreadable or damaged one still says OFFLINE
 */
async function readLockFile(
  path: string | false
): Promise<{ since?: number; retryAfter?: number | string } | null> {
  if (!path) return null
  let contents: string
  try {
    contents = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    return {}
  }
  try {
    const value = JSON.parse(contents)
    const since = Date.parse(value?.since)
    const retryAfter = value?.retryAfter
    return {
      since: Number.isNaN(since) ? undefined : since,
      retryAfter:
        typeof retryAfter === 'number' || typeof retryAfter === 'string' ? retryAfter : undefined,
    }
  } catch {
    return {}
  }
}

/**
 * The hash under which a session's presence is stored
 */
export function sessionKey(sessionId: string) {
  let key = sessionKeys.get(sessionId)
  if (key === undefined) {
    key = createHash('sha256').update(sessionId).digest('hex').slice(0, 40)
    if (sessionKeys.size >= 10_000) sessionKeys.clear()
    sessionKeys.set(sessionId, key)
  }
  return key
}

/**
 * Hashes of recent session ids: every request of a logged-in session
 * needs it, for the presence throttle and the marker
 */
const sessionKeys = new Map<string, string>()

/**
 * Seconds (integer ≥ 0) or an HTTP date
 */
function parseRetryAfter(value: number | string): number | string {
  if (typeof value === 'number' || /^\s*-?\d+\s*$/.test(value)) {
    const seconds = Number(value)
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new errors.E_INVALID_OPTION([
        `Invalid --retry "${value}". Use a number of seconds (0 or more) or an HTTP date`,
      ])
    }
    return seconds
  }
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --retry "${value}". Use a number of seconds (0 or more) or an HTTP date`,
    ])
  }
  return date.toUTCString()
}

function isSafeRedirect(value: string) {
  if (/^\/(?![/\\])/.test(value)) return true
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

function describeTransition(from: MaintenanceState, to: MaintenanceState) {
  const label = to.status.toUpperCase()
  const by = to.requestedBy ? ` by ${to.requestedBy}` : ''
  if (to.status === 'pending') {
    return `site-maintenance: ${from.status.toUpperCase()} → ${label}${by}, drain deadline ${new Date(to.deadline!).toISOString()}`
  }
  if (to.status === 'offline' && from.status === 'pending') {
    const reason =
      to.since >= (from.deadline ?? Infinity) ? 'drain deadline passed' : 'drain finished'
    return `site-maintenance: PENDING → OFFLINE (${reason})`
  }
  return `site-maintenance: ${from.status.toUpperCase()} → ${label}${by}${to.forced ? ' (forced)' : ''}`
}
