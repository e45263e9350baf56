/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { HttpContext } from '@adonisjs/core/http'
import type { ConfigProvider } from '@adonisjs/core/types'
import type { ApplicationService } from '@adonisjs/core/types'

/**
 * The three states of the site
 */
export type MaintenanceStatus = 'online' | 'pending' | 'offline'

/**
 * The state record, kept by the store and mirrored in memory by every
 * process. Times are epoch milliseconds so every backend stores them alike.
 */
export interface MaintenanceState {
  status: MaintenanceStatus
  /**
   * Incremented by every write. Writes are compare-and-set on it, so two
   * processes racing a transition cannot both win.
   */
  revision: number
  /**
   * When the current status began
   */
  since: number
  /**
   * When the drain began (PENDING). Sessions logged in before this moment
   * are the ones allowed to finish. Kept while OFFLINE for the record.
   */
  drainStartedAt: number | null
  /**
   * When a PENDING site becomes OFFLINE even if sessions remain
   */
  deadline: number | null
  message: string | null
  /**
   * Messages per locale (`offline:on --message-in=fr:…`), shown to the
   * visitors whose language they are; `message` to the others. Missing
   * in records written before it existed.
   */
  messages?: Record<string, string>
  /**
   * Value of the `Retry-After` header: seconds, or an HTTP date
   */
  retryAfter: number | string | null
  redirect: string | null
  forced: boolean
  /**
   * "user@host (pid N)" of whoever asked for the current status
   */
  requestedBy: string | null
  /**
   * SHA-256 (hex) of the bypass secret. The secret itself is never stored.
   */
  secretHash: string | null
  /**
   * Random per activation with a secret: mixed into the bypass cookie's
   * value, so a cookie from an earlier window never works again
   */
  secretNonce: string | null
  /**
   * Allowed IPs and CIDR ranges
   */
  allow: string[]
  /**
   * Read-only mode (only with `status: 'offline'`): GET, HEAD and OPTIONS
   * reach the app for everyone, other methods get the maintenance answer
   * unless a bypass lets them through. No drain, no lock file. Missing
   * in records written before it existed, which read as false.
   */
  readOnly: boolean
  /**
   * A maintenance window set with `offline:on --at` or `--until`, kept
   * in the store so every instance applies it without a running command.
   * Null when none; missing in records written before it existed.
   */
  schedule: MaintenanceSchedule | null
  /**
   * The last transitions, oldest first (at most 20), for the admin page.
   * Missing in records written before it existed.
   */
  history?: MaintenanceTransition[]
}

/**
 * One change of status: ONLINE, PENDING, OFFLINE or READ-ONLY (as
 * `statusLabel` names them), when (epoch milliseconds) and by whom
 * (`requestedBy`, or why the drain ended)
 */
export interface MaintenanceTransition {
  from: string
  to: string
  at: number
  by: string | null
}

/**
 * When a scheduled window starts, is announced and ends, and how it
 * starts. Times are milliseconds since the epoch.
 */
export interface MaintenanceSchedule {
  /**
   * When the site goes into maintenance (the ONLINE state waits for it);
   * null once it has started, or for a window that started at once
   */
  startsAt: number | null
  /**
   * From when the banner announces the start; null: not announced
   */
  announceAt: number | null
  /**
   * When the site comes back ONLINE by itself; null: `offline:off` ends it
   */
  endsAt: number | null
  /**
   * How the window starts: OFFLINE at once, READ-ONLY, or a drain of
   * `timeout` milliseconds
   */
  force: boolean
  readOnly: boolean
  timeout: number
}

/**
 * A registered background command
 */
export interface TaskRecord {
  id: string
  name: string
  pid: number
  host: string
  startedAt: number
  heartbeatAt: number
  /**
   * heartbeatAt + the task's timeout: past it, a task that stopped beating
   * is stale and no longer waited for
   */
  expiresAt: number
  finishedAt: number | null
  status: 'running' | 'finished' | 'failed'
}

/**
 * What keeps the site from going offline
 */
export interface Census {
  activeSessions: number
  runningTasks: number
  /**
   * Queue jobs running in workers held by `holdDuringMaintenance`
   * (site-maintenance/queue); absent when the app does not use it and no
   * worker reports any
   */
  jobsInFlight?: number
  /**
   * Set when `activeSessions` reached the census cap: there are at least
   * that many ("10,000+")
   */
  capped?: true
}

/**
 * A state record as stored, before parsing
 */
export interface RawStateRecord {
  /**
   * The record as stored
   */
  data: string
  /**
   * The revision a replacement continues from: the one the store keeps
   * beside the record, or the one still legible in it; 0 when unknown
   */
  revision: number
}

/**
 * The contract every store implements. State writes are compare-and-set on
 * `revision`; census writes are idempotent upserts.
 */
export interface MaintenanceStoreContract {
  /**
   * Store name, for messages
   */
  readonly name: string

  /**
   * Read the state record; `null` when none was ever written
   */
  read(): Promise<MaintenanceState | null>

  /**
   * Write `next` only if the stored revision is still `expectedRevision`
   * (0 when no record exists). Returns false when another writer won.
   */
  compareAndSet(next: MaintenanceState, expectedRevision: number): Promise<boolean>

  /**
   * The state record unparsed; `null` when none was ever written. What a
   * writer reads when `read()` throws E_CORRUPT_STATE (a store without it
   * cannot have a corrupt record replaced by `offline:off`)
   */
  readRaw?(): Promise<RawStateRecord | null>

  /**
   * Write `next` over a corrupt record, only if the stored record is still
   * exactly `record.data`: the compare-and-set of a record with no
   * readable revision. Returns false when another writer changed it.
   */
  replaceCorrupt?(next: MaintenanceState, record: RawStateRecord): Promise<boolean>

  /**
   * Record that a logged-in session is alive until `expiresAt`
   */
  touchSession(key: string, userId: string | number | null, expiresAt: number): Promise<void>

  /**
   * Forget a session (logout) and, with `loggedOutUntil`, remember until
   * then that it logged out: a copied presence marker of that session
   * must not pass PENDING
   */
  dropSession(key: string, loggedOutUntil?: number): Promise<void>

  /**
   * Keys of sessions that logged out and are remembered at `now`
   */
  loggedOutSessions(now: number): Promise<string[]>

  /**
   * Number of logged-in sessions alive at `now`; at most `cap` when given
   * (then it means "`cap` or more"), so a census of a large site costs a
   * bounded read
   */
  countSessions(now: number, cap?: number): Promise<number>

  registerTask(task: TaskRecord): Promise<void>
  heartbeatTask(id: string, heartbeatAt: number, expiresAt: number): Promise<void>
  finishTask(id: string, status: 'finished' | 'failed', finishedAt: number): Promise<void>

  /**
   * Tasks still running and not stale at `now`
   */
  runningTasks(now: number): Promise<TaskRecord[]>

  /**
   * True when the census counts @adonisjs/session's own table, whose rows
   * carry a user only once a login tags them (the auth integration does)
   */
  readonly tagsSessionsAtLogin?: boolean

  /**
   * Optional push notification of state changes (Redis pub/sub). Stores
   * without it are polled.
   */
  subscribe?(listener: () => void): Promise<void>

  /**
   * Release connections, watchers and subscriptions
   */
  close(): Promise<void>
}

/**
 * A store factory, returned by the lazily resolved `stores.*` helpers
 */
export type MaintenanceStoreFactory = () => MaintenanceStoreContract

/**
 * Options of the file store
 */
export interface FileStoreOptions {
  /**
   * Directory for the state file and the census (default `tmp/maintenance`)
   */
  directory?: string
}

/**
 * Options of the database store
 */
export interface DatabaseStoreOptions {
  /**
   * Lucid connection name (default: the default connection)
   */
  connection?: string
  stateTable?: string
  sessionsTable?: string
  tasksTable?: string
  /**
   * With @adonisjs/session's `database` store, its table ("sessions"):
   * the census then counts its logged-in rows (`user_id IS NOT NULL AND
   * expires_at > now`) instead of the package's presence records.
   * Sessions are tagged with the user id on login by the provider.
   */
  sessionTable?: string
}

/**
 * Options of the redis store
 */
export interface RedisStoreOptions {
  /**
   * Redis connection name from config/redis.ts (default: the default one)
   */
  connection?: string
  /**
   * Key prefix (default `site_maintenance`)
   */
  prefix?: string
}

/**
 * The config accepted by `defineConfig`
 */
export interface MaintenanceConfig<
  KnownStores extends Record<string, MaintenanceStoreFactoryProvider>,
> {
  /**
   * The store to use, a key of `stores`
   */
  default: keyof KnownStores
  stores: KnownStores

  /**
   * The web-server lock file, present exactly while OFFLINE. `false` turns
   * the mirror off (read-only containers). Default `tmp/maintenance/down`.
   */
  lockFile?: string | false

  /**
   * How often each app instance re-reads the state and checks the drain
   * ("1s", 1000). Pub/sub stores are told of changes at once as well.
   */
  refreshInterval?: string | number

  /**
   * How long to wait for sessions when `offline:on` gets no `--timeout`.
   * Defaults to the session idle age, as "wait until all sessions expire".
   */
  drainTimeout?: string | number

  /**
   * How long a logged-in session counts as active after its last request.
   * Defaults to the session age of config/session.ts, or 15 minutes.
   */
  sessionIdleAge?: string | number

  /**
   * At most one presence write per session per this interval ("1m")
   */
  presenceInterval?: string | number

  /**
   * How long a CommandTask may go without a heartbeat before it is stale
   */
  taskTimeout?: string | number

  /**
   * Default `Retry-After`, in seconds
   */
  retryAfter?: number

  /**
   * Default message shown on the maintenance page and banner
   */
  message?: string

  /**
   * Paths that always reach the app (health checks, the page's assets),
   * matched exactly on the normalised path. A trailing "/*" matches a
   * prefix: "/maintenance/*". Default: none.
   */
  allowedPaths?: string[]

  /**
   * IPs and CIDR ranges always let through, on top of `offline:on --allow`.
   * Read through the app's trusted-proxy setting (`request.ip()`).
   */
  allow?: string[]

  /**
   * Name of the signed bypass cookie set by visiting /<secret>
   */
  bypassCookie?: string

  /**
   * Write the maintenance answer for requests that nothing could let
   * through (no bypass cookie, allowed path, allowed IP or, while
   * PENDING, session cookie) on the Node.js server, before AdonisJS builds
   * its HTTP context: about 1.4 times the answers per second of the middleware.
   * Those requests then skip everything AdonisJS does per request,
   * including the `http:request_completed` event and anything registered
   * in the server stack before the maintenance middleware. Default true.
   */
  earlyAnswer?: boolean

  /**
   * Where the static copy of the maintenance page is written on every
   * transition to OFFLINE, for the web server. `false` turns it off.
   * Default `public/maintenance/index.html`.
   */
  staticPage?: string | false

  /**
   * The Edge template of the maintenance page (published by
   * `node ace add site-maintenance`); the built-in page when missing
   */
  view?: string

  /**
   * The session key under which the auth session guard keeps the user
   * id ("auth_" + guard name)
   */
  authSessionKey?: string

  /**
   * What an app instance does while it cannot read the state (store down,
   * record corrupt or unreadable). Logged at error level once per outage.
   *
   * - `'last-known'` (default): keep the last state read. Before a first
   *   good read (an instance starting during the outage) the host's lock
   *   file stands for it: present means OFFLINE, so a site taken down
   *   never comes back ONLINE through a restart; absent (or `lockFile:
   *   false`) means ONLINE.
   * - `'offline'`: answer as OFFLINE until the store reads again, whatever
   *   was known before. For sites where serving without knowing is worse
   *   than refusing.
   */
  onStoreError?: StoreErrorPolicy

  /**
   * The key bypass secrets are hashed with (HMAC-SHA256). Defaults to the
   * app's APP_KEY (`appKey` of config/app.ts); set it to keep secrets
   * valid across an APP_KEY rotation.
   */
  secretKey?: string

  /**
   * Who else gets through while PENDING or OFFLINE, decided only for
   * requests that would otherwise get the maintenance answer
   */
  bypass?: MaintenanceBypassConfig

  /**
   * The banner of `@!maintenance.banner()`. With `live: true` pages
   * opened while ONLINE learn of `offline:on` without a reload: they poll
   * a status endpoint served from memory and show the banner themselves.
   */
  banner?: BannerConfig
}

/**
 * See `banner`
 */
export interface BannerConfig {
  /**
   * Serve the status endpoint and make every banner live (a page can opt
   * out with `@!maintenance.banner({ live: false })`). Default false.
   */
  live?: boolean
  /**
   * The status endpoint, answered in every state, OFFLINE included.
   * Default `/__maintenance/status`.
   */
  path?: string
  /**
   * How often a visible page polls ("5s", 5); hidden tabs poll six
   * times less often. Default `5s`.
   */
  interval?: string | number
}

/**
 * Role and route bypasses (README "Who else gets through")
 */
export interface MaintenanceBypassConfig {
  /**
   * Lets a refused request through when it returns true, e.g.
   * `(ctx) => ctx.auth.user?.isAdmin === true`. Runs in the router stack,
   * after the session and auth middleware, for requests that carry a
   * session cookie or an Authorization header. A throw refuses.
   */
  allow?: (ctx: HttpContext) => boolean | Promise<boolean>
  /**
   * A @adonisjs/bouncer ability name: lets the request through when
   * `ctx.bouncer.allows(ability)` is true (same conditions as `allow`)
   */
  ability?: string
  /**
   * Names of routes open to everyone whatever the state (like
   * `route.maintenanceOpen()`)
   */
  routes?: string[]
}

/**
 * The bypass config after resolution
 */
export interface ResolvedBypassConfig {
  allow: ((ctx: HttpContext) => boolean | Promise<boolean>) | null
  ability: string | null
  routes: string[]
}

/**
 * See `onStoreError`
 */
export type StoreErrorPolicy = 'last-known' | 'offline'

export type MaintenanceStoreFactoryProvider = ConfigProvider<MaintenanceStoreFactory>

/**
 * The stores of config/maintenance.ts, filled in by the augmentation at
 * the end of that file, so `maintenance.use('redis')` is type-checked
 */
export interface MaintenanceStoresList {}

/**
 * Reads the store names out of the config's type
 */
export type InferMaintenanceStores<
  T extends ConfigProvider<{ stores: Record<string, MaintenanceStoreFactory> }>,
> = Awaited<ReturnType<T['resolver']>>['stores']

/**
 * A store name: those of the augmented list, or any string before the
 * app declares it
 */
export type MaintenanceStoreName = keyof MaintenanceStoresList extends never
  ? string
  : keyof MaintenanceStoresList & string

/**
 * The config after resolution by the provider
 */
export interface ResolvedMaintenanceConfig {
  default: string
  stores: Record<string, MaintenanceStoreFactory>
  lockFile: string | false
  refreshInterval: number
  drainTimeout: number | null
  sessionIdleAge: number
  presenceInterval: number
  taskTimeout: number
  retryAfter: number
  message: string
  allowedPaths: string[]
  allow: string[]
  bypassCookie: string
  earlyAnswer: boolean
  staticPage: string | false
  view: string
  authSessionKey: string
  onStoreError: StoreErrorPolicy
  /**
   * The key bypass secrets are hashed with: the app's APP_KEY
   * (`config/app.ts` appKey), null when the app has none
   */
  secretKey: string | null
  banner: {
    live: boolean
    path: string
    /**
     * Milliseconds between polls of a visible page
     */
    interval: number
  }
  bypass: ResolvedBypassConfig
}

/**
 * Options of `manager.activate()`, which `offline:on` maps its flags onto
 */
export interface ActivateOptions {
  force?: boolean
  /**
   * Drain timeout in milliseconds
   */
  timeout?: number
  message?: string
  /**
   * The message per locale (`offline:on --message-in=fr:…`)
   */
  messages?: Record<string, string>
  retryAfter?: number | string
  redirect?: string
  secret?: string
  allow?: string[]
  requestedBy?: string
  /**
   * Go read-only at once, from any state (`offline:on --read-only`)
   */
  readOnly?: boolean
  /**
   * Start the window then (ms since the epoch, in the future) instead of
   * now; the site stays ONLINE until that moment (`offline:on --at`)
   */
  at?: number
  /**
   * How long before `at` the banner announces it, in milliseconds
   */
  announce?: number
  /**
   * When the site comes back ONLINE by itself (ms since the epoch)
   */
  until?: number
}

/**
 * Payload of the maintenance events
 */
export interface MaintenanceEvent {
  state: MaintenanceState
  previous: MaintenanceStatus
}

export type { ApplicationService }

/**
 * The events, emitted in every process that sees the status change
 */
declare module '@adonisjs/core/types' {
  interface EventsList {
    'maintenance:pending': MaintenanceEvent
    'maintenance:offline': MaintenanceEvent
    'maintenance:online': MaintenanceEvent
  }
}

/**
 * `route.maintenanceOpen()`: keeps a route open to everyone while the site
 * is PENDING or OFFLINE. Declared here, with the package's other
 * augmentations, so that whoever loads the package's types sees it; the
 * macro itself is registered by src/request_path/open_routes.ts.
 */
declare module '@adonisjs/core/http' {
  interface Route {
    /**
     * Keep this route open to everyone while the site is PENDING or
     * OFFLINE (site-maintenance), like a name in `bypass.routes`
     */
    maintenanceOpen(): this
  }
}
