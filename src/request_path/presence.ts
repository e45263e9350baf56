/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { HttpContext } from '@adonisjs/core/http'
import debug from '../debug.ts'
import type {} from './maintenance_gate.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import { syncMarker } from './presence_marker.ts'
import type { ResolvedMaintenanceConfig } from '../types.ts'

/**
 * The part of @adonisjs/session's Session presence reads (the session
 * package stays an optional peer)
 */
interface SessionLike {
  sessionId: string
  get(key: string): unknown
}

/**
 * Called by the maintenance middleware once the rest of the pipeline
 * (session, auth, the route) has run. For a logged-in session it records
 * presence (throttled by the manager: at most one store write per session
 * per interval; not for requests let in by a bypass) and keeps the signed
 * marker cookie the middleware reads during PENDING; for a session no
 * longer logged in it clears the marker. Requests without a session
 * (static files, unknown URLs, apps without @adonisjs/session) are left
 * alone.
 */
export function recordPresence(
  ctx: HttpContext,
  manager: {
    config: Pick<ResolvedMaintenanceConfig, 'authSessionKey' | 'sessionIdleAge'>
    touchSession: MaintenanceManager['touchSession']
  }
) {
  const session = (ctx as unknown as { session?: SessionLike }).session
  if (!session) return

  let userId: unknown
  try {
    userId = session.get(manager.config.authSessionKey)
  } catch (error) {
    debug('session not readable, presence not recorded: %O', error)
    return
  }
  const loggedIn = userId !== undefined && userId !== null
  syncMarker(ctx.request, ctx.response, session.sessionId, loggedIn, manager.config.sessionIdleAge)
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
}
