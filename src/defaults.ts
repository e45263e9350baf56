/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * Every default of the package, in one place: `defineConfig` falls back on
 * them, `configure` prints them into the published config and page, and
 * the commands and web-server snippets use the same paths. Plain values
 * only, no imports: the request path may load this module.
 */
/**
 * The most sessions a census counts: the drain only needs "none left",
 * and a person reads "10,000+" as well as an exact figure, while counting
 * 100k rows cost 10-30 ms per census on MariaDB under load
 */
export const CENSUS_CAP = 10_000

/**
 * The name prefix of the task rows a queue worker records for its jobs in
 * flight (src/queue/jobs_in_flight.ts): the census counts them apart
 */
export const JOB_TASK_PREFIX = '@adonisjs/queue: '

/**
 * The furthest ahead anything given may reach: a window's start, its end
 * after the start, an announcement, a drain deadline, Retry-After, and the
 * config's durations. Far past it a Date overflows ("Invalid time value"
 * on every page that shows the window); no maintenance is planned that
 * far. One year as `string.milliseconds` reads "1y": 365.25 days.
 */
export const MAX_AHEAD = Object.freeze({ ms: 31_557_600_000, label: '1 year' })

/**
 * The longest a timer may wait: Node.js and browsers run a setTimeout or
 * setInterval of 2^31 ms (24.8 days) or more after 1 ms, so a refresh
 * interval or a heartbeat past it would spin instead of waiting
 */
export const MAX_TIMER = Object.freeze({ ms: 24 * 24 * 60 * 60 * 1000, label: '24 days' })

export const defaults = Object.freeze({
  /**
   * The store `node ace add site-maintenance` picks without `--store`
   */
  store: 'file',

  /**
   * Directory of the file store, relative to the app root
   */
  fileStoreDirectory: 'tmp/maintenance',

  /**
   * The web-server lock file, present exactly while OFFLINE, relative to
   * the app root
   */
  lockFile: 'tmp/maintenance/down',

  /**
   * The directory the web servers serve `maintenance/index.html` from,
   * relative to the app root
   */
  pageDir: 'public',

  /**
   * The static copy of the maintenance page, inside `pageDir`
   */
  staticPage: 'public/maintenance/index.html',

  /**
   * Shown on the maintenance page and in the banner
   */
  message: 'We are performing scheduled maintenance. We will be back shortly.',

  /**
   * Name of the signed bypass cookie
   */
  bypassCookie: 'site_maintenance_bypass',

  /**
   * How often each app instance re-reads the state
   */
  refreshInterval: '1s',

  /**
   * At most one presence write per session per this interval
   */
  presenceInterval: '1m',

  /**
   * A CommandTask without a heartbeat for this long is stale
   */
  taskTimeout: '2m',

  /**
   * How long a logged-in session counts as active when config/session.ts
   * gives no `age`; the drain waits as long when `drainTimeout` is unset
   */
  sessionIdleAge: '15m',

  /**
   * `Retry-After`, in seconds
   */
  retryAfter: 60,

  /**
   * The Edge template of the maintenance page
   */
  view: 'site_maintenance/page',

  /**
   * The session key of the auth session guard "web"
   */
  authSessionKey: 'auth_web',

  /**
   * Keep the last state read while the store cannot be read
   */
  onStoreError: 'last-known',

  /**
   * Answer refused requests on the Node.js server, before AdonisJS
   */
  earlyAnswer: true,

  /**
   * The live banner (`banner.live`): where pages poll the status and how
   * often
   */
  bannerStatusPath: '/__maintenance/status',
  bannerInterval: '5s',
} as const)
