/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { IncomingMessage } from 'node:http'
import type { HttpContext, Router } from '@adonisjs/core/http'
import type { NextFn, RouteJSON } from '@adonisjs/core/types/http'
import debug from '../debug.ts'
import type { ResolvedBypassConfig } from '../types.ts'
import MaintenanceBypassMiddleware, {
  DEFERRED_REFUSAL,
  REFUSED_LATE,
  type DeferredRefusal,
} from './bypass_middleware.ts'
import { hasOpenRoutes, isMarkedOpen } from './open_routes.ts'

/**
 * A route AdonisJS may run for a request, with the method it runs it for
 */
interface Candidate {
  route: RouteJSON
  method: string
}

/**
 * What the hand-off does with the request: let it through (an open route
 * at once, a role once the bypass middleware decided) or refuse it
 */
export interface HandoffOutcome {
  pass(via: 'role' | 'route'): void
  refuse(): void
}

/**
 * The role and route bypasses (docs/visitors.md "Who else gets through") for a
 * request the gate is about to refuse. An open route passes at once. A
 * role needs the session and auth of the router stack: the refusal is
 * left on the context for the bypass middleware to lift or apply.
 *
 * The rule (SECURITY.md): a refused request never reaches a handler. So
 * a request passes only when EVERY route AdonisJS may still run for it
 * is open, and is handed to the role check only when every such route
 * runs the bypass middleware, which decides before the handler.
 */
export class RouteHandoff {
  readonly #roles: boolean
  readonly #openNames: Set<string>
  #router: Router | null = null
  #methods: string[] | null = null
  /**
   * Per route: whether the bypass middleware is in its stack
   */
  #bypassInStack = new WeakMap<RouteJSON, Promise<boolean>>()

  constructor(
    protected bypass: ResolvedBypassConfig,
    protected options: {
      sessionCookie: string | null
      logger?: { warn?(message: string): void }
      /**
       * `http.allowMethodSpoofing` of config/app.ts: a raw POST may run
       * the route of the method its body names
       */
      methodSpoofing?: boolean
    }
  ) {
    this.#roles = bypass.allow !== null || bypass.ability !== null
    this.#openNames = new Set(bypass.routes)
  }

  /**
   * Whether a role or route bypass could still let a refused request in
   */
  get active() {
    return this.#roles || this.#openNames.size > 0 || hasOpenRoutes()
  }

  async decide(ctx: HttpContext, next: NextFn, outcome: HandoffOutcome): Promise<unknown> {
    const candidates = await this.#candidates(ctx)
    if (candidates.length === 0) return outcome.refuse()
    if (candidates.every(({ route, method }) => this.#isOpen(route, method))) {
      outcome.pass('route')
      return next()
    }
    if (!this.#roles || !this.#mayHoldRole(ctx.request.request)) return outcome.refuse()
    for (const { route } of candidates) {
      if (!(await this.#hasBypassMiddleware(route))) return outcome.refuse()
    }
    return this.#handToMiddleware(ctx, next, outcome)
  }

  /**
   * For the early answer: whether the role and route bypasses surely
   * refuse this raw request. Anything uncertain (a request that could
   * hold a role, the router not known yet, a method override, domains,
   * an absolute-form target) is left to the middleware.
   */
  refusesRaw(req: IncomingMessage, path: string): boolean {
    if (this.#roles && this.#mayHoldRole(req)) return false
    if (this.#openNames.size === 0 && !hasOpenRoutes()) return true
    const router = this.#router
    const url = req.url ?? '/'
    const method = req.method ?? 'GET'
    if (!router || router.usingDomains || url[0] !== '/' || url.includes('_method')) return false
    if (this.options.methodSpoofing && method === 'POST') return false
    const matched = router.match(path, method, true)
    return matched === null || !this.#isOpen(matched.route, method)
  }

  /**
   * Leave the refusal on the context for the bypass middleware. If the
   * pipeline returns without its decision (an earlier router middleware
   * answered or threw), it is applied here: nothing gets in by a missing
   * step, and no handler ran (every candidate runs the middleware).
   */
  async #handToMiddleware(ctx: HttpContext, next: NextFn, outcome: HandoffOutcome) {
    let settled = false
    const target = ctx as HttpContext & {
      [DEFERRED_REFUSAL]?: DeferredRefusal
      [REFUSED_LATE]?: true
    }
    const refuse = () => {
      settled = true
      target[REFUSED_LATE] = true
      outcome.refuse()
    }
    target[DEFERRED_REFUSAL] = {
      decide: (context) => this.#allows(context),
      pass: () => {
        settled = true
        outcome.pass('role')
      },
      refuse,
    }

    let output: unknown
    try {
      output = await next()
    } catch (error) {
      if (settled) throw error
      debug('pipeline failed before the bypass middleware decided: %O', error)
    }
    if (!settled) {
      delete target[DEFERRED_REFUSAL]
      refuse()
    }
    return output
  }

  /**
   * The routes AdonisJS may run for this request. In the router stack,
   * the one it matched. In the server stack, the route of the method
   * known now and, when method spoofing is on and the raw method is
   * POST, the route of every method the app uses: a body parser running
   * after this middleware may still find `_method` in the body, and the
   * router matches only after it.
   */
  async #candidates(ctx: HttpContext): Promise<Candidate[]> {
    const { request } = ctx
    if (ctx.route) return [{ route: ctx.route, method: request.method() }]
    const router = this.#router ?? (this.#router = await ctx.containerResolver.make('router'))
    const methods =
      this.options.methodSpoofing && request.intended() === 'POST'
        ? this.#methodsOf(router)
        : [request.method()]
    const url = request.url()
    const decode = request.parsedUrl.shouldDecodeParam
    const hostname = router.usingDomains ? request.hostname() : undefined
    const candidates: Candidate[] = []
    for (const method of methods) {
      const matched = router.match(url, method, decode, hostname)
      if (matched) candidates.push({ route: matched.route, method })
    }
    return candidates
  }

  /**
   * Every method a route of the app answers, read once (the routes are
   * committed before the first request)
   */
  #methodsOf(router: Router): string[] {
    if (this.#methods === null) {
      const methods = new Set<string>()
      for (const routes of Object.values(router.toJSON())) {
        for (const route of routes) for (const method of route.methods) methods.add(method)
      }
      this.#methods = [...methods]
    }
    return this.#methods
  }

  #isOpen(route: RouteJSON, method: string) {
    return (
      (route.name !== undefined && this.#openNames.has(route.name)) || isMarkedOpen(route, method)
    )
  }

  /**
   * A role is only known once session and auth have run: a request
   * without a session cookie or an Authorization header cannot hold one
   */
  #mayHoldRole(req: IncomingMessage) {
    if (req.headers.authorization) return true
    const sessionCookie = this.options.sessionCookie
    return sessionCookie !== null && req.headers.cookie?.includes(`${sessionCookie}=`) === true
  }

  /**
   * Whether the route's stack runs the bypass middleware, checked once
   * per route. Without it a deferred refusal would not be decided before
   * the handler runs, so such requests are refused (and the log says
   * why, once per route).
   */
  #hasBypassMiddleware(route: RouteJSON): Promise<boolean> {
    let found = this.#bypassInStack.get(route)
    if (found === undefined) {
      found = runsBypassMiddleware(route).then((runs) => {
        if (!runs) {
          const message = `site-maintenance: "bypass.allow" or "bypass.ability" is configured, but the route ${route.pattern} does not run "site-maintenance/bypass_middleware" (start/kernel.ts, router stack): its refused requests stay refused`
          if (this.options.logger?.warn) this.options.logger.warn(message)
          else debug(message)
        }
        return runs
      })
      this.#bypassInStack.set(route, found)
    }
    return found
  }

  /**
   * The role check: `bypass.allow(ctx)`, then the bouncer ability. Auth
   * is checked first (silently) so `ctx.auth.user` is set.
   */
  async #allows(ctx: HttpContext): Promise<boolean> {
    const { allow, ability } = this.bypass
    const auth = (ctx as { auth?: { isAuthenticated: boolean; check(): Promise<boolean> } }).auth
    if (auth && !auth.isAuthenticated) await auth.check()
    if (allow && (await allow(ctx)) === true) return true
    const bouncer = (ctx as { bouncer?: { allows(ability: string): Promise<boolean> } }).bouncer
    if (ability && typeof bouncer?.allows === 'function') {
      return (await bouncer.allows(ability)) === true
    }
    return false
  }
}

/**
 * Whether the bypass middleware is in a route's stack: the router's and
 * the route's middleware are lazy imports, loaded by then
 */
async function runsBypassMiddleware(route: RouteJSON): Promise<boolean> {
  for (const entry of route.middleware.all()) {
    const reference = (entry as { reference?: unknown }).reference
    if (typeof reference !== 'function') continue
    try {
      const imported = await reference()
      if (imported?.default === MaintenanceBypassMiddleware) return true
    } catch {}
  }
  return false
}
