/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http'
import debug from './debug.ts'
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
  nodeServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let answered = false
    if (gate.inStack && gate.status !== 'online') {
      try {
        answered = gate.answerEarly(req, res)
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
