/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { EmitterService, LoggerService } from '@adonisjs/core/types'
import debug from '../debug.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import type { MaintenancePlugin } from './maintenance_plugin.ts'

/**
 * The part of auth's login event the census needs (@adonisjs/auth stays
 * an optional peer)
 */
type LoginEvent = {
  ctx?: {
    session?: { supportsTagging(): boolean; tag(userId: string): Promise<void> }
  }
  user?: { id?: string | number }
}

/**
 * Follow the session guard's login and logout events: a logout ends that
 * session's presence at once (so the drain does not wait the idle age
 * for a session nobody uses), and with a census over @adonisjs/session's
 * own table a login tags the session with its user (auth does not).
 */
export function listenToAuthEvents(
  emitter: Pick<EmitterService, 'on'>,
  manager: () => Promise<MaintenanceManager>,
  logger: Pick<LoggerService, 'warn'>
) {
  emitter.on('session_auth:login_succeeded' as any, async (event: LoginEvent) => {
    try {
      const { store } = await manager()
      if (!store.tagsSessionsAtLogin) return
      const session = event?.ctx?.session
      if (session?.supportsTagging() && event.user?.id !== undefined) {
        await session.tag(String(event.user.id))
      }
    } catch (error) {
      debug('cannot tag the session of a login: %O', error)
    }
  })

  /**
   * Auth does not await its listeners: a failure here is only seen in
   * the log, and it leaves the session counted until its idle age
   */
  emitter.on('session_auth:logged_out' as any, async (event: { sessionId?: string }) => {
    if (!event?.sessionId) return
    try {
      const current = await manager()
      await current.dropSession(event.sessionId)
    } catch (error) {
      logger.warn(
        `site-maintenance: a logged out session stays counted until its idle age (${(error as Error).message})`
      )
    }
  })
}

/**
 * The integration, in the HTTP server: the census follows the session
 * guard's logins and logouts (events listened to by name, so nothing of
 * @adonisjs/auth is loaded)
 */
export default function authPlugin(): MaintenancePlugin {
  return {
    async start({ app, manager }) {
      listenToAuthEvents(
        await app.container.make('emitter'),
        manager,
        await app.container.make('logger')
      )
    },
  }
}
