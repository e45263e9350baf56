/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import { safeEqual } from '@adonisjs/core/helpers'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { RouteHandoff } from './route_handoff.ts'
import { AllowedPaths, rawPath } from './allowed_paths.ts'
import { maintenanceAnswer } from './maintenance_answer.ts'
import { LiveStatus } from './live_status.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import { MAX_COOKIE_LENGTH } from './presence_marker.ts'
import { RequestStats } from './request_stats.ts'
import type { MaintenanceState } from '../types.ts'
import { REFUSE, POLL, RequestDecision } from './decision.ts'
import { snapshotOf, type Snapshot } from './snapshot.ts'

export { bypassValue } from './snapshot.ts'
export type { BypassReason, MaintenanceRequestInfo } from './snapshot.ts'

/**
 * How long the bypass cookie lives; it also dies with its secret
 */
const BYPASS_COOKIE_AGE = '12h'

/**
 * What the request path uses of the engine: the state and the page from
 * memory, the logged-out sessions known while PENDING, and presence writes
 */
export type ManagerLike = Pick<
  MaintenanceManager,
  'state' | 'config' | 'page' | 'hasLoggedOut' | 'touchSession'
>

/**
 * The policy of the maintenance middleware: who passes in PENDING and
 * OFFLINE, and the maintenance answer for everyone else. Works from
 * memory only: the state, the request's cookies, its IP and path.
 */
export class MaintenanceGate {
  readonly stats: RequestStats
  readonly paths: AllowedPaths
  /**
   * The live banner's status endpoint (`banner.live`), else null
   */
  readonly live: LiveStatus | null
  #snapshot: Snapshot | null = null

  /**
   * Set by the middleware on its first request: it is in the app's stacks
   */
  inStack = false

  constructor(
    readonly manager: ManagerLike,
    protected options: {
      /**
       * Name of the session id cookie; null when the app has no sessions
       */
      sessionCookie: string | null
      logger?: { info(message: string): void; warn?(message: string): void }
      /**
       * The app's public URL (config/app.ts appUrl, APP_URL): behind a
       * proxy that rewrites Host, a redirect to it is a redirect to this
       * site, whatever the request's Host says
       */
      appUrl?: string | null
      /**
       * Paths open in every state besides `allowedPaths`: the routes of
       * @adonisjs/transmit that live banners listen on
       */
      openPaths?: readonly string[]
      /**
       * `http.allowMethodSpoofing` of config/app.ts
       */
      methodSpoofing?: boolean
    }
  ) {
    this.stats = new RequestStats(options.logger)
    this.paths = new AllowedPaths([...manager.config.allowedPaths, ...(options.openPaths ?? [])])
    this.live = manager.config.banner?.live ? new LiveStatus(manager.config) : null
    this.#handoff = new RouteHandoff(
      manager.config.bypass ?? { allow: null, ability: null, routes: [] },
      options
    )
    this.#decision = new RequestDecision({
      paths: this.paths,
      live: this.live,
      handoff: this.#handoff,
      bypassCookie: manager.config.bypassCookie,
      secretKey: manager.config.secretKey,
      sessionCookie: options.sessionCookie,
      hasLoggedOut: (sessionId) => manager.hasLoggedOut(sessionId),
    })
    try {
      if (options.appUrl) this.#appHost = new URL(options.appUrl).host.toLowerCase()
    } catch {}
  }

  #appHost: string | null = null

  /**
   * The role and route bypasses
   */
  #handoff: RouteHandoff
  #decision: RequestDecision

  /**
   * The status in force, from memory
   */
  get status() {
    return this.manager.state.status
  }

  /**
   * Let the request through or answer it, as decision.ts decides
   */
  handle(ctx: HttpContext, next: NextFn) {
    const state = this.manager.state
    if (state.status === 'online') return next()
    const snapshot = this.#snapshotOf(state)
    const req = ctx.request.request
    const path = rawPath(req.url)
    const decision = this.#decision.decide(snapshot, req, path, ctx)
    switch (decision.kind) {
      case 'pass':
        /**
         * A read of a READ-ONLY site: no `ctx.maintenance`, so presence is
         * recorded as while ONLINE
         */
        return next()
      case 'grant':
        this.stats.recordBypassed(state.status)
        return this.#grant(ctx, snapshot.bypassValue!)
      case 'bypass':
        this.stats.recordBypassed(state.status)
        ctx.maintenance = { ...snapshot.info, via: decision.via }
        return next()
      case 'poll':
        return this.live!.write(state, ctx.response.response)
      case 'handoff':
        return this.#handOff(ctx, next, snapshot, path)
      default:
        this.stats.recordAnswered(state.status)
        return this.#answer(ctx, snapshot, path)
    }
  }

  /**
   * A refusal a role or route bypass may still lift (route_handoff.ts)
   */
  #handOff(ctx: HttpContext, next: NextFn, snapshot: Snapshot, path: string) {
    const status = snapshot.state.status as 'pending' | 'offline'
    return this.#handoff.decide(ctx, next, {
      pass: (via) => {
        this.stats.recordBypassed(status)
        ctx.maintenance = { ...snapshot.info, via }
      },
      refuse: () => {
        this.stats.recordAnswered(status)
        this.#answer(ctx, snapshot, path)
      },
    })
  }

  /**
   * The maintenance answer written on the Node.js request, before AdonisJS
   * builds its HTTP context, for a request the raw request shows nothing
   * could let through (decision.ts: without a context, anything uncertain
   * goes to the middleware, which decides in full). Same status, headers
   * and body as #answer().
   */
  answerEarly(req: IncomingMessage, res: ServerResponse): boolean {
    const state = this.manager.state
    if (state.status === 'online') return false
    const snapshot = this.#snapshotOf(state)
    const decision = this.#decision.decide(snapshot, req, rawPath(req.url ?? '/'), null)
    if (decision === POLL) {
      this.live!.write(state, res)
      return true
    }
    if (decision !== REFUSE) return false
    this.stats.recordAnswered(state.status)
    const { status, wireHeaders, body } = maintenanceAnswer(snapshot.answer, req)
    res.writeHead(status, wireHeaders as string[]) // read, never changed, by Node.js
    res.end(body)
    return true
  }

  /**
   * For the early answer: a poll of the live banner's status endpoint gets
   * the current state from memory, whatever the state, before AdonisJS
   * builds a context. A request on another path under the same prefix
   * (`/__maintenance/statusx`) goes on, or to answerEarly when refused.
   */
  answerPoll(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.live?.matches(req.method, rawPath(req.url))) {
      return this.manager.state.status !== 'online' && this.answerEarly(req, res)
    }
    this.live.write(this.manager.state, res)
    return true
  }

  /**
   * Whether a protocol upgrade (WebSocket) may reach the app. AdonisJS
   * runs no middleware for upgrades, so this decides alone, from what the
   * raw request shows: an exempt path; while PENDING, a session cookie
   * (the app's WebSocket handler authenticates it, as it does while
   * ONLINE); while OFFLINE, a bypass cookie whose signature `verify`
   * confirms. Allowed IPs are not honoured here: the trusted-proxy
   * setting is not applied to upgrades.
   */
  allowsUpgrade(req: IncomingMessage, verify: (name: string, raw: string) => unknown): boolean {
    const state = this.manager.state
    if (state.status === 'online') return true
    const snapshot = this.#snapshotOf(state)
    if (this.paths.matches(rawPath(req.url ?? '/'))) return true
    const cookies = parseCookies(req.headers.cookie)
    const sessionCookie = this.options.sessionCookie
    if (state.status === 'pending' && sessionCookie && cookies.has(sessionCookie)) return true
    const raw = cookies.get(this.manager.config.bypassCookie)
    if (!snapshot.bypassValue || !raw || raw.length > MAX_COOKIE_LENGTH) return false
    const value = verify(this.manager.config.bypassCookie, raw)
    return typeof value === 'string' && safeEqual(value, snapshot.bypassValue)
  }

  /**
   * Set the bypass cookie and redirect to the home page
   */
  #grant(ctx: HttpContext, value: string) {
    const { response } = ctx
    response.cookie(this.manager.config.bypassCookie, value, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      maxAge: BYPASS_COOKIE_AGE,
    })
    response.header('Cache-Control', 'no-store')
    response.redirect('/')
  }

  /**
   * The maintenance answer: 503 with Retry-After and no caching, as JSON
   * or HTML, or the configured redirect. Written straight from memory.
   */
  #answer(ctx: HttpContext, snapshot: Snapshot, path: string) {
    const { request, response } = ctx
    const redirect = snapshot.redirect
    if (redirect && this.#mayRedirect(ctx, redirect, path)) {
      const method = request.method()
      response.header('Cache-Control', 'no-store')
      response.header('Retry-After', snapshot.answer.retryAfter)
      response
        .redirect()
        .status(method === 'GET' || method === 'HEAD' ? 302 : 307)
        .toPath(redirect.location)
      return
    }

    const { status, headers, body } = maintenanceAnswer(snapshot.answer, request.request)
    response.status(status)
    for (const [name, value] of Object.entries(headers)) response.header(name, value)
    response.send(body, false)
  }

  /**
   * Never redirect to a path of this site that would itself be refused,
   * the current one included: that would loop or cost a round trip for
   * the same answer
   */
  #mayRedirect(ctx: HttpContext, redirect: NonNullable<Snapshot['redirect']>, path: string) {
    const host = redirect.host
    const external =
      host !== null && host !== ctx.request.host()?.toLowerCase() && host !== this.#appHost
    if (external) return true
    return redirect.path !== path && this.paths.matches(redirect.path)
  }

  #snapshotOf(state: MaintenanceState): Snapshot {
    if (this.#snapshot?.state !== state) {
      this.#snapshot = snapshotOf(state, this.manager.config, this.manager.page)
    }
    return this.#snapshot
  }
}

/**
 * The cookies of a raw Cookie header, by name (values left encoded)
 */
function parseCookies(header: string | undefined) {
  const cookies = new Map<string, string>()
  for (const pair of (header ?? '').split(';')) {
    const index = pair.indexOf('=')
    if (index > 0) cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1).trim())
  }
  return cookies
}
