/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { HttpContext } from '@adonisjs/core/http'

/**
 * Who may use the admin page: the app's own rule, which the page asks on
 * every request. There is no default: a page anyone could reach would
 * let anyone take the site down.
 */
export interface AdminAccessOptions {
  /**
   * Asked on every request of the page (the page and each button), once
   * auth has silently checked the session, so `ctx.auth.user` is set.
   * Only `true` lets the request in: anything else, or a throw, is a 403.
   *
   * Required unless `ability` is set: without either, the page refuses
   * every request, in every environment, and the log says so once.
   *
   * @example
   * maintenanceAdmin({ authorize: (ctx) => ctx.auth.user?.role === 'admin' })
   */
  authorize?: (ctx: HttpContext) => boolean | Promise<boolean>
  /**
   * A @adonisjs/bouncer ability that must allow the request
   * (`ctx.bouncer.allows(ability)`), asked as `authorize` is. Needs
   * bouncer's initialize middleware in the router stack: without
   * `ctx.bouncer`, every request is refused. With `authorize` set too,
   * both must allow.
   *
   * @example
   * maintenanceAdmin({ ability: 'manageMaintenance' })
   */
  ability?: string
}

type Bouncer = { allows(ability: string): Promise<boolean> }
type Auth = { isAuthenticated: boolean; check(): Promise<boolean> }

/**
 * The admin page's access check. What went wrong with the rule itself
 * (none given, no bouncer, a throw) is logged once per mount: an
 * anonymous client must not be able to fill the log.
 */
export class AdminGuard {
  #warned = new Set<string>()

  constructor(protected options: AdminAccessOptions) {}

  async allows(ctx: HttpContext): Promise<boolean> {
    const { authorize, ability } = this.options
    const withAuthorize = typeof authorize === 'function'
    const withAbility = typeof ability === 'string' && ability !== ''
    if (!withAuthorize && !withAbility) {
      this.#warnOnce(
        ctx,
        'unguarded',
        'site-maintenance: admin page: every request is refused (403) until the page is told who may use it: pass `authorize` or `ability`, e.g. maintenanceAdmin({ authorize: (ctx) => ctx.auth.user?.isAdmin === true })'
      )
      return false
    }

    try {
      /**
       * As the maintenance gate's role check: a silent check, so the rule
       * sees the session's user without auth's middleware on the route
       */
      const auth = (ctx as { auth?: Auth }).auth
      if (auth && !auth.isAuthenticated) await auth.check()
      if (withAuthorize && (await authorize(ctx)) !== true) return false
      if (withAbility) {
        const bouncer = (ctx as { bouncer?: Bouncer }).bouncer
        if (typeof bouncer?.allows !== 'function') {
          this.#warnOnce(
            ctx,
            'no-bouncer',
            `site-maintenance: admin page: every request is refused (403): the "${ability}" ability needs ctx.bouncer; add @adonisjs/bouncer's initialize middleware to the router stack`
          )
          return false
        }
        if ((await bouncer.allows(ability)) !== true) return false
      }
      return true
    } catch (error) {
      this.#warnOnce(
        ctx,
        'threw',
        `site-maintenance: admin page: refused a request (403) whose access check threw (logged once): ${(error as Error)?.message ?? String(error)}`
      )
      return false
    }
  }

  #warnOnce(ctx: HttpContext, reason: string, message: string) {
    if (this.#warned.has(reason)) return
    this.#warned.add(reason)
    ctx.logger.warn(message)
  }
}
