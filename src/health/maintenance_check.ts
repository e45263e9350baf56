/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import app from '@adonisjs/core/services/app'
import { BaseCheck, Result } from '@adonisjs/core/health'
import type { HealthCheckResult } from '@adonisjs/core/types/health'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import type { Census } from '../types.ts'
import { MAX_TIMER } from '../defaults.ts'
import { parseDuration } from '../options.ts'

/**
 * An @adonisjs/health check of the maintenance state. It reads the state
 * this process holds in memory, so it costs no store I/O (unless the
 * census is asked for, while PENDING only):
 *
 * - ONLINE: ok;
 * - PENDING: warning, with the deadline (and the census) in meta;
 * - OFFLINE: warning by default, so a liveness probe never restarts an app
 *   that is down on purpose; `failWhenOffline()` makes it an error, for a
 *   readiness probe that takes OFFLINE instances out of rotation;
 * - the state cannot be read: error, with the reason.
 *
 * @example
 * ```ts
 * new HealthChecks().register([new MaintenanceCheck().failWhenOffline()])
 * ```
 */
export class MaintenanceCheck extends BaseCheck {
  name = 'Maintenance mode check'
  #manager: MaintenanceManager | null
  #offline: 'warning' | 'error' = 'warning'
  #censusTimeout: number | null = null

  /**
   * @param manager - defaults to the app's `maintenance.manager` binding,
   * resolved on the first run
   */
  constructor(manager?: MaintenanceManager) {
    super()
    this.#manager = manager ?? null
  }

  /**
   * Report OFFLINE as an error instead of a warning: for readiness
   */
  failWhenOffline(fail: boolean = true) {
    this.#offline = fail ? 'error' : 'warning'
    return this
  }

  /**
   * While PENDING, count the sessions and tasks the drain waits for: one
   * store read per run, abandoned after `timeout` ("1s", or seconds)
   */
  withCensus(timeout: string | number = '1s') {
    this.#censusTimeout = parseDuration(timeout, 'MaintenanceCheck.withCensus()', MAX_TIMER)
    return this
  }

  async run(): Promise<HealthCheckResult> {
    const manager = (this.#manager ??= await app.container.make('maintenance.manager'))

    /**
     * A probe that comes before anything tried to read the state in this
     * process (the provider's ready hook, the request gate) reads it once,
     * as the gate would, rather than report the default ONLINE
     */
    if (!manager.loaded && !manager.assumed && !manager.lastError) await manager.load()

    const state = manager.state
    const meta: Record<string, unknown> = {
      status: state.status,
      /**
       * Null for a site never taken down (no record yet)
       */
      since: state.since ? new Date(state.since) : null,
    }

    const error = manager.lastError
    if (error) {
      return Result.failed(`Cannot read the maintenance state: ${safeMessage(error)}`).setMetaData({
        ...meta,
        store: manager.config.default,
        /**
         * Whether the status above is the `onStoreError` policy's
         * assumption, or the last state this process read
         */
        assumed: manager.assumed,
      })
    }

    if (state.status === 'online') {
      return Result.ok('The site is ONLINE').setMetaData(meta)
    }

    if (state.status === 'pending') {
      const deadline = state.deadline === null ? null : new Date(state.deadline)
      const census = this.#censusTimeout === null ? undefined : await this.#census(manager)
      return Result.warning(
        `The site is PENDING: draining before maintenance${deadline ? `, offline by ${deadline.toISOString()} at the latest` : ''}`
      ).setMetaData({
        ...meta,
        deadline,
        timeLeft: state.deadline === null ? null : Math.max(0, state.deadline - Date.now()),
        ...(census === undefined ? {} : census),
      })
    }

    const result =
      this.#offline === 'error'
        ? Result.failed('The site is OFFLINE for maintenance')
        : Result.warning('The site is OFFLINE for maintenance')
    return result.setMetaData({ ...meta, retryAfter: state.retryAfter })
  }

  /**
   * The census, or why it is missing: a slow or failing census read only
   * leaves it out of the report, the state is what the check is about
   */
  async #census(
    manager: MaintenanceManager
  ): Promise<{ census: Census | null; censusError?: string }> {
    let timer: NodeJS.Timeout | undefined
    const timeout = this.#censusTimeout!
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the census read took longer than ${timeout}ms`)),
        timeout
      )
    })
    try {
      return { census: await Promise.race([manager.census(), expired]) }
    } catch (error) {
      return { census: null, censusError: safeMessage(error as Error) }
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * An error's message as a health report may show it: health routes are
 * often public, so credentials in a connection URL or a `password=` pair
 * are masked, and the excerpt of the stored record that JSON.parse quotes
 * is dropped
 */
function safeMessage(error: Error): string {
  const code = (error as { code?: unknown }).code
  const message = String(error.message)
    .replace(/(\w+:\/\/)[^\s/@]*@/g, '$1***@')
    .replace(/\b(password|passwd|pwd|secret|token)=[^\s&;,)]*/gi, '$1=***')
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON/s, ': not valid JSON')
  return typeof code === 'string' && code.startsWith('E_') ? `${code}: ${message}` : message
}
