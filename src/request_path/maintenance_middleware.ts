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
import type {} from '@adonisjs/core/types'
import type { MaintenanceGate } from './maintenance_gate.ts'
import { recordPresence } from './presence.ts'
import { REFUSED_LATE } from './bypass_middleware.ts'

/**
 * Registers the `route.maintenanceOpen()` macro: the provider imports
 * this module when the app boots, before the routes file runs
 */
import './open_routes.ts'

export type { MaintenanceRequestInfo } from './maintenance_gate.ts'

/**
 * Once the rest of the pipeline has run, record the presence of the
 * request's session: the session and auth middleware of the router stack
 * have run by then. A rejection passes through untouched.
 */
function thenRecordPresence(ctx: HttpContext, gate: MaintenanceGate, pipeline: unknown) {
  return Promise.resolve(pipeline).then((output: unknown) => {
    recordPresence(ctx, gate.manager)
    return output
  })
}

/**
 * The same while not ONLINE, except for a request the role bypass
 * refused once session and auth had run
 */
function thenRecordPresenceUnlessRefused(
  ctx: HttpContext,
  gate: MaintenanceGate,
  pipeline: unknown
) {
  return Promise.resolve(pipeline).then((output: unknown) => {
    if ((ctx as { [REFUSED_LATE]?: true })[REFUSED_LATE] !== true) {
      recordPresence(ctx, gate.manager)
    }
    return output
  })
}

/**
 * Registered first in the server stack, so it sees every request
 * (unmatched URLs included) before body parsing, sessions and auth. While
 * ONLINE it only calls next(); otherwise the gate (built once by the
 * provider and injected) applies the maintenance policy from memory. Once
 * the rest of the pipeline has run it records the presence of logged-in
 * sessions (see recordPresence): one middleware, because AdonisJS
 * resolves every middleware through the container on each request, which
 * costs more than what this one does.
 */
export default class MaintenanceMiddleware {
  constructor(protected gate?: MaintenanceGate) {}

  /**
   * Not async on purpose: a request costs one property read, the gate's
   * decision when not ONLINE, the call to next() and one promise for
   * presence
   */
  handle(ctx: HttpContext, next: NextFn): unknown {
    const gate = this.gate
    if (!gate) return this.#lookup(ctx, next)
    if (!gate.inStack) gate.inStack = true
    if (gate.status !== 'online') {
      return thenRecordPresenceUnlessRefused(ctx, gate, gate.handle(ctx, next))
    }
    if (gate.stats.active) gate.stats.close()
    return thenRecordPresence(ctx, gate, next())
  }

  /**
   * Built without its gate (a container that does not know the
   * provider's binding): find it once
   */
  async #lookup(ctx: HttpContext, next: NextFn): Promise<unknown> {
    this.gate = await ctx.containerResolver.make('maintenance.gate')
    return this.handle(ctx, next)
  }
}
