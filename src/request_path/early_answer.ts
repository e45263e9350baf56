/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import debug from '../debug.ts'
import type { MaintenanceGate } from './maintenance_gate.ts'

/**
 * Put the gate's early answer in front of AdonisJS's own handler on the
 * Node.js server: requests that nothing could let through get the
 * maintenance answer before AdonisJS builds its HTTP context. Active only
 * once the middleware has seen a request (which proves it is in the app's
 * stacks) and never while ONLINE. Left alone when the server has another
 * number of request listeners than the one AdonisJS registers.
 */
export function installEarlyAnswer(nodeServer: Server, gate: MaintenanceGate): boolean {
  const listeners = nodeServer.listeners('request') as RequestListener[]
  if (listeners.length !== 1) {
    debug('%d request listeners on the HTTP server: no early answer', listeners.length)
    return false
  }
  const [handle] = listeners
  nodeServer.removeListener('request', handle)
  /**
   * The live banner's polls are answered here in every state: through the
   * router, the app's middleware (session, shield, auth) would cost each
   * poll about twenty times the answer. While ONLINE that costs other
   * requests one prefix test of their URL, and nothing without a live banner.
   */
  const pollPath = gate.live?.path ?? null
  nodeServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let answered = false
    const poll = pollPath !== null && req.url!.startsWith(pollPath)
    if (gate.inStack && (poll || gate.status !== 'online')) {
      try {
        answered = poll ? gate.answerPoll(req, res) : gate.answerEarly(req, res)
      } catch (error) {
        /**
         * Never lose a request to the shortcut: AdonisJS takes it over
         */
        debug('early answer failed: %O', error)
        answered = res.headersSent
      }
    }
    if (!answered) handle(req, res)
  })
  return true
}

/**
 * Refuse protocol upgrades (WebSockets) the gate would not let through
 * while the site is PENDING or OFFLINE, READ-ONLY included (a socket can
 * carry writes, whatever its opening GET): AdonisJS runs no middleware for
 * them, so without this a WebSocket server attached to the app would
 * keep working through OFFLINE. Wraps the server's emit of "upgrade", so
 * it holds for listeners attached later too. `verify` unsigns a cookie
 * as the app's response.cookie() signed it.
 */
export function refuseUpgrades(
  nodeServer: Server,
  gate: MaintenanceGate,
  verify: (name: string, raw: string) => unknown
) {
  const emit = nodeServer.emit
  const refused = (req: IncomingMessage, socket: Duplex) => {
    let allowed = false
    try {
      allowed = gate.allowsUpgrade(req, verify)
    } catch (error) {
      debug('upgrade check failed: %O', error)
    }
    if (allowed) return false
    gate.stats.recordAnswered(gate.status)
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nCache-Control: no-store\r\nContent-Length: 0\r\n\r\n'
    )
    return true
  }

  /**
   * Every event of the server goes through here, each request's included:
   * the arguments are passed on as they came, without a copy
   */
  nodeServer.emit = function (this: Server, event: string | symbol, req?: any, socket?: any) {
    if (event === 'upgrade' && gate.status !== 'online' && refused(req, socket)) return true

    return emit.apply(this, arguments as unknown as Parameters<Server['emit']>)
  } as Server['emit']
}
