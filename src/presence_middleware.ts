/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type {} from '../providers/maintenance_provider.ts'
import type {} from './maintenance_middleware.ts'
import debug from './debug.ts'
import type { MaintenanceManager } from './maintenance_manager.ts'
import { syncMarker } from './presence_marker.ts'

/**
 * The part of @adonisjs/session's Session this middleware reads (the
 * session package stays an optional peer)
 */
interface SessionLike {
  sessionId: string
  get(key: string): unknown
}

/**
 * Registered last in the router stack, after the session and auth
 * middleware. For a logged-in session it records presence (throttled by
 * the manager: at most one store write per session per interval; not for
 * requests let in by a bypass) and keeps
 * the signed marker cookie the maintenance middleware reads during
 * PENDING; for a session no longer logged in it clears the marker.
 */
export default class PresenceMiddleware {
  /**
   * Bound by the provider as a singleton holding the manager, like the
   * maintenance middleware; built without it, the manager is looked up
   * per request
   */
  constructor(protected manager?: MaintenanceManager) {}

  async handle(ctx: HttpContext, next: NextFn) {
    const output = await next()
    const session = (ctx as unknown as { session?: SessionLike }).session
    if (!session) return output

    const manager = this.manager ?? (await ctx.containerResolver.make('maintenance.manager'))
    let userId: unknown
    try {
      userId = session.get(manager.config.authSessionKey)
    } catch (error) {
      debug('session not readable, presence not recorded: %O', error)
      return output
    }
    const loggedIn = userId !== undefined && userId !== null
    syncMarker(ctx.request, ctx.response, session.sessionId, loggedIn)
    /**
     * Bypass holders (an admin let in by cookie or IP) do not hold the
     * site back from going offline
     */
    const byBypass = ctx.maintenance !== undefined && ctx.maintenance.via !== 'session'
    if (loggedIn && !byBypass) {
      manager
        .touchSession(session.sessionId, userId as string | number)
        .catch((error: unknown) => debug('presence write failed: %O', error))
    }
    return output
  }
}
