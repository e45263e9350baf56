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

/**
 * Where the maintenance middleware leaves a refusal it could not decide
 * in the server stack
 */
export const DEFERRED_REFUSAL = Symbol.for('site-maintenance.deferred_refusal')

/**
 * A refusal the role bypass may still lift, once session and auth have
 * run. Exactly one of pass() and refuse() is called, by this middleware;
 * when neither was, the maintenance middleware refuses once the pipeline
 * returns (fail closed).
 */
export interface DeferredRefusal {
  /**
   * Whether the role bypass lets this request through
   */
  decide(ctx: HttpContext): Promise<boolean>
  pass(): void
  refuse(): void
}

/**
 * Set on a request the role bypass refused after session and auth ran:
 * its presence is not recorded (a refused session does not hold the
 * drain back)
 */
export const REFUSED_LATE = Symbol.for('site-maintenance.refused_late')

type WithDeferred = HttpContext & { [DEFERRED_REFUSAL]?: DeferredRefusal }

/**
 * Registered in the router stack after the auth middleware (configure
 * does it). Decides the refusals the maintenance middleware deferred
 * (docs/visitors.md "Who else gets through"): the request goes on when
 * `bypass.allow(ctx)` or the bouncer ability say so, else it gets the
 * maintenance answer. Every other request only passes through.
 */
export default class MaintenanceBypassMiddleware {
  /**
   * Not async: a request without a deferred refusal costs one property
   * read and the call to next()
   */
  handle(ctx: HttpContext, next: NextFn): unknown {
    const deferred = (ctx as WithDeferred)[DEFERRED_REFUSAL]
    if (deferred === undefined) return next()
    return this.#settle(ctx as WithDeferred, deferred, next)
  }

  async #settle(ctx: WithDeferred, deferred: DeferredRefusal, next: NextFn) {
    /**
     * A throwing check leaves the refusal in place: the maintenance
     * middleware answers once the error handler has run
     */
    const allowed = await deferred.decide(ctx)
    delete ctx[DEFERRED_REFUSAL]
    if (!allowed) return deferred.refuse()
    deferred.pass()
    return next()
  }
}
