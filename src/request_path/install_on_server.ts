/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { CookieClient } from '@adonisjs/core/http'
import type { ApplicationService } from '@adonisjs/core/types'
import { installEarlyAnswer, refuseUpgrades } from './early_answer.ts'
import type { MaintenanceGate } from './maintenance_gate.ts'

/**
 * Puts the gate on the Node.js server, ahead of AdonisJS: upgrade
 * requests (which never reach the router) are refused by state, and with
 * `earlyAnswer` a refused request is answered before the framework
 * builds a context. No Node.js server (tests, `node ace repl`): nothing.
 */
export async function installOnServer(
  app: ApplicationService,
  gate: MaintenanceGate,
  options: { earlyAnswer: boolean }
) {
  const server = await app.container.make('server')
  const nodeServer = server.getNodeServer()
  if (!nodeServer) return
  const encryption = await app.container.make('encryption')
  const cookies = new CookieClient(encryption.use())
  refuseUpgrades(nodeServer, gate, (name, raw) => cookies.unsign(name, decodeURIComponent(raw)))
  if (options.earlyAnswer) installEarlyAnswer(nodeServer, gate)
}
