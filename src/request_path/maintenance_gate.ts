/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { safeEqual } from '@adonisjs/core/helpers'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { RouteHandoff } from './route_handoff.ts'
import { AllowedPaths, rawPath } from './allowed_paths.ts'
import { maintenanceAnswer, type PreparedAnswer } from './maintenance_answer.ts'
import { IpAllowList } from './ip_allow_list.ts'
import { LiveStatus } from './live_status.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import { MAX_COOKIE_LENGTH, loggedInBefore, readMarker, readSessionId } from './presence_marker.ts'
import { RequestStats } from './request_stats.ts'
import type { MaintenanceState } from '../types.ts'
import { hashSecret } from '../utils.ts'

/**
 * Why a request got through while the site is not ONLINE
 */
export type BypassReason = 'session' | 'cookie' | 'ip' | 'path' | 'role' | 'route'

/**
 * What `ctx.maintenance` holds for a request let through while the site is
 * PENDING or OFFLINE (templates use it for the banner)
 */
export interface MaintenanceRequestInfo {
  status: 'pending' | 'offline'
  pending: boolean
  offline: boolean
  /**
   * OFFLINE, but reads pass for everyone: this request is a write let
   * through by a bypass
   */
  readOnly?: boolean
  message: string
  /**
   * When a PENDING site goes OFFLINE at the latest
   */
  deadline: Date | null
  retryAfter: number | string
  via: BypassReason
}

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /**
     * Set for requests let through while the site is PENDING or OFFLINE
     */
    maintenance?: MaintenanceRequestInfo
  }
}

/**
 * A secret is 16 to 128 letters, digits, "-" or "_" (checked by offline:on)
 */
const SECRET_PATH = /^\/[A-Za-z0-9_-]{16,128}$/

/**
 * How long the bypass cookie lives; it also dies with its secret
 */
const BYPASS_COOKIE_AGE = '12h'

/**
 * What a READ-ONLY site lets through for everyone: GET, HEAD and a CORS
 * preflight (OPTIONS naming the method it asks for), matched on the raw
 * method so a spoofed `POST ?_method=GET` stays a write. Any other
 * OPTIONS may reach a handler (`router.any()`, an OPTIONS route) and is
 * answered like a write.
 */
function isRead(req: IncomingMessage) {
  const method = req.method
  return (
    method === 'GET' ||
    method === 'HEAD' ||
    (method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined)
  )
}

/**
 * Everything derived from one state, computed once per state revision
 * rather than per request
 */
interface Snapshot {
  state: MaintenanceState
  ips: IpAllowList
  bypassValue: string | null
  answer: PreparedAnswer
  redirect: { location: string; host: string | null; path: string } | null
  info: Omit<MaintenanceRequestInfo, 'via'>
}

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
    try {
      if (options.appUrl) this.#appHost = new URL(options.appUrl).host.toLowerCase()
    } catch {}
  }

  #appHost: string | null = null

  /**
   * The role and route bypasses
   */
  #handoff: RouteHandoff

  /**
   * The status in force, from memory
   */
  get status() {
    return this.manager.state.status
  }

  /**
   * Let the request through or answer it. Call only when not ONLINE.
   */
  handle(ctx: HttpContext, next: NextFn) {
    const state = this.manager.state
    if (state.status === 'online') return next()
    const snapshot = this.#snapshotOf(state)
    const status = state.status
    const { request } = ctx
    const path = rawPath(request.request.url)

    /**
     * The secret URL: hand out the bypass cookie and send the visitor home
     */
    if (this.#isSecretPath(snapshot, path)) {
      this.stats.recordBypassed(status)
      return this.#grant(ctx, snapshot.bypassValue!)
    }

    /**
     * READ-ONLY: reads reach the app as they do while ONLINE (no
     * `ctx.maintenance`, so presence is recorded as usual)
     */
    if (state.readOnly && isRead(request.request)) return next()

    const via = this.#bypass(ctx, snapshot, path)
    if (via) {
      this.stats.recordBypassed(status)
      ctx.maintenance = { ...snapshot.info, via }
      return next()
    }

    /**
     * The live banner's status endpoint. While ONLINE (and for requests
     * let through) a route of the provider answers it; a refused poll is
     * answered here, so only refused requests pay for the path check
     */
    if (this.live?.matches(request.request.method, path)) {
      return this.live.write(state, ctx.response.response)
    }

    if (this.#handoff.active) return this.#handOff(ctx, next, snapshot, path)
    this.stats.recordAnswered(status)
    this.#answer(ctx, snapshot, path)
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
   * builds its HTTP context, for a request that nothing could let
   * through: not ONLINE, no redirect or allowed IPs configured, a path
   * that is neither allowed nor the secret's, no bypass cookie (nor,
   * while PENDING, a session cookie) in its Cookie header, and while
   * READ-ONLY not a read; with a role or route bypass configured, no
   * session cookie or Authorization header (roles) and no open route
   * matched (routes). Anything else
   * returns false and goes to the middleware, which decides in full; the
   * checks here only ever send more requests there. Same status, headers
   * and body as #answer().
   */
  answerEarly(req: IncomingMessage, res: ServerResponse): boolean {
    const state = this.manager.state
    if (state.status === 'online') return false
    if (state.readOnly && isRead(req)) return false
    const snapshot = this.#snapshotOf(state)
    if (snapshot.redirect || !snapshot.ips.isEmpty) return false
    const path = rawPath(req.url ?? '/')
    if (this.paths.matches(path)) return false
    if (this.#isSecretPath(snapshot, path)) return false
    const cookies = req.headers.cookie
    if (this.#handoff.active && !this.#handoff.refusesRaw(req, path)) return false
    if (cookies) {
      if (snapshot.bypassValue && cookies.includes(`${this.manager.config.bypassCookie}=`)) {
        return false
      }
      const sessionCookie = this.options.sessionCookie
      if (state.status === 'pending' && sessionCookie && cookies.includes(`${sessionCookie}=`)) {
        return false
      }
    }

    if (this.live?.matches(req.method, path)) {
      this.live.write(state, res)
      return true
    }

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

  #isSecretPath(snapshot: Snapshot, path: string) {
    return (
      snapshot.bypassValue !== null &&
      SECRET_PATH.test(path) &&
      safeEqual(
        hashSecret(path.slice(1), this.manager.config.secretKey),
        snapshot.state.secretHash!
      )
    )
  }

  /**
   * The reason this request may pass, or null
   */
  #bypass(ctx: HttpContext, snapshot: Snapshot, path: string): BypassReason | null {
    const { request } = ctx
    if (this.paths.matches(path)) return 'path'

    if (snapshot.bypassValue) {
      const value = request.cookie(this.manager.config.bypassCookie)
      if (typeof value === 'string' && safeEqual(value, snapshot.bypassValue)) return 'cookie'
    }

    if (!snapshot.ips.isEmpty && snapshot.ips.matches(request.ip())) return 'ip'

    /**
     * PENDING: sessions logged in before the drain began finish their work.
     * The signed presence marker (presence_marker.ts) tells them apart
     * without reading the session store; it expires, and a session that
     * logged out since is refused whatever marker it shows. A remember-me
     * cookie alone does not count: it would open a new session, which is
     * a new login.
     */
    const { state } = snapshot
    if (state.status === 'pending' && this.options.sessionCookie && state.drainStartedAt) {
      const sessionId = readSessionId(request, this.options.sessionCookie)
      if (
        sessionId &&
        loggedInBefore(readMarker(request), sessionId, state.drainStartedAt) &&
        !this.manager.hasLoggedOut(sessionId)
      ) {
        return 'session'
      }
    }
    return null
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
    if (this.#snapshot?.state === state) return this.#snapshot
    const { config, page } = this.manager
    const body = page.json(state)
    this.#snapshot = {
      state,
      ips: new IpAllowList(new Set([...config.allow, ...state.allow])),
      bypassValue: state.secretHash ? bypassValue(state.secretHash, state.secretNonce) : null,
      answer: {
        retryAfter: page.retryAfterHeader(state),
        html: () => page.html(state),
        localized: (acceptLanguage) => page.answerFor(state, acceptLanguage),
        json: JSON.stringify({
          status: body.status,
          message: body.message,
          retryAfter: body.retryAfter,
          retryAt: body.retryAt,
          ...(body.readOnly ? { readOnly: true } : {}),
        }),
      },
      redirect: state.redirect ? parseRedirect(state.redirect) : null,
      info: {
        status: state.status as 'pending' | 'offline',
        pending: state.status === 'pending',
        offline: state.status === 'offline',
        readOnly: state.readOnly === true,
        message: body.message,
        deadline: state.deadline === null ? null : new Date(state.deadline),
        retryAfter: body.retryAfter,
      },
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

/**
 * The bypass cookie's value: derived from the secret's hash, so it is
 * valid only while that secret is in force and reveals nothing of it
 */
export function bypassValue(secretHash: string, nonce: string | null): string {
  return createHash('sha256')
    .update(`site-maintenance:bypass:${secretHash}:${nonce ?? ''}`)
    .digest('hex')
    .slice(0, 32)
}

function parseRedirect(location: string): Snapshot['redirect'] {
  if (location.startsWith('/')) return { location, host: null, path: rawPath(location) }
  try {
    const url = new URL(location)
    return { location, host: url.host.toLowerCase(), path: url.pathname }
  } catch {
    return null
  }
}
