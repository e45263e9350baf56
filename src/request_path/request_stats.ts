/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { MaintenanceStatus } from '../types.ts'

type Logger = { info(message: string): void }

/**
 * Counts the requests the maintenance middleware answered or let through
 * while the site is not ONLINE, and turns them into one info line per
 * interval at most: a crowd pressing reload must not flood the log, and a
 * maintenance answer is not an error.
 */
export class RequestStats {
  /**
   * Totals since the current status began
   */
  answered = 0
  bypassed = 0

  #windowAnswered = 0
  #windowBypassed = 0
  #windowStart = 0
  #status: MaintenanceStatus | null = null

  constructor(
    protected logger?: Logger,
    protected interval: number = 60_000
  ) {}

  /**
   * A request got the maintenance answer
   */
  recordAnswered(status: MaintenanceStatus, now: number = Date.now()) {
    this.#enter(status, now)
    this.answered++
    this.#windowAnswered++
    this.#maybeLog(now)
  }

  /**
   * A request passed by bypass (cookie, IP, path) or as a session that
   * was logged in before the drain
   */
  recordBypassed(status: MaintenanceStatus, now: number = Date.now()) {
    this.#enter(status, now)
    this.bypassed++
    this.#windowBypassed++
    this.#maybeLog(now)
  }

  /**
   * A new status starts new totals; what the previous window counted is
   * summarised first so no count is lost
   */
  #enter(status: MaintenanceStatus, now: number) {
    if (this.#status === status) return
    if (this.#status !== null) this.flush()
    this.#status = status
    this.answered = 0
    this.bypassed = 0
    this.#windowStart = now
  }

  #maybeLog(now: number) {
    if (now - this.#windowStart >= this.interval) {
      this.flush()
      this.#windowStart = now
    }
  }

  /**
   * Whether counts of a PENDING or OFFLINE period are still open
   */
  get active() {
    return this.#status !== null
  }

  /**
   * The site is ONLINE again: log what the last window counted and stop
   */
  close() {
    this.flush()
    this.#status = null
  }

  /**
   * Log the current window's counts (nothing when it counted nothing)
   */
  flush() {
    if (this.#status === null) return
    if (this.#windowAnswered + this.#windowBypassed === 0) return
    this.logger?.info(
      `site-maintenance: ${this.#status.toUpperCase()}: ${format(this.#windowAnswered)} ${plural(this.#windowAnswered, 'request')} answered, ${format(this.#windowBypassed)} passed by bypass`
    )
    this.#windowAnswered = 0
    this.#windowBypassed = 0
  }
}

function format(value: number) {
  return value.toLocaleString('en-US')
}

function plural(count: number, word: string) {
  return count === 1 ? word : `${word}s`
}
