/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { MaintenanceGate } from '../request_path/maintenance_gate.ts'
import type { MaintenancePlugin } from './maintenance_plugin.ts'

/**
 * The live banner's status endpoint (`banner.live`), for the requests
 * that reach the router: all of them while ONLINE, those let through
 * otherwise. A route rather than a path check in the middleware, so
 * that no other ONLINE request pays for it; the gate answers the polls
 * it refuses. The answer is written on the Node.js response at once:
 * cookies the router stack's middleware set later are never sent.
 */
export default function statusRoutePlugin(): MaintenancePlugin {
  return {
    async start({ app, manager }) {
      const resolved = await manager()
      if (!resolved.config.banner?.live) return
      const router = await app.container.make('router')
      let gate: MaintenanceGate | null = null
      router.get(resolved.config.banner.path, async ({ response }) => {
        gate ??= await app.container.make('maintenance.gate')
        gate.live!.write(resolved.state, response.response)
      })
    },
  }
}
