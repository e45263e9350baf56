/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { IncomingMessage } from 'node:http'
import { safeEqual } from '@adonisjs/core/helpers'
import type { HttpContext } from '@adonisjs/core/http'
import type { AllowedPaths } from './allowed_paths.ts'
import type { LiveStatus } from './live_status.ts'
import { loggedInBefore, readMarker, readSessionId } from './presence_marker.ts'
import type { RouteHandoff } from './route_handoff.ts'
import type { BypassReason, Snapshot } from './snapshot.ts'
import { hashSecret } from '../secret_hash.ts'

/**
 * What the request path does with a request while the site is not ONLINE
 */
export type Decision =
  /** on to the app as while ONLINE (a read of a READ-ONLY site) */
  | { kind: 'pass' }
  /** the secret URL: hand out the bypass cookie */
  | { kind: 'grant' }
  /** let through by a bypass, with the banner */
  | { kind: 'bypass'; via: BypassReason }
  /** the live banner's status endpoint */
  | { kind: 'poll' }
  /** a role or route bypass may still lift the refusal (route_handoff.ts) */
  | { kind: 'handoff' }
  /** the maintenance answer */
  | { kind: 'refuse' }
  /** only the HTTP context can tell: the early answer leaves it to the middleware */
  | { kind: 'undecided' }

export const PASS: Decision = { kind: 'pass' }
export const GRANT: Decision = { kind: 'grant' }
export const POLL: Decision = { kind: 'poll' }
export const HANDOFF: Decision = { kind: 'handoff' }
export const REFUSE: Decision = { kind: 'refuse' }
export const UNDECIDED: Decision = { kind: 'undecided' }

/**
 * One way through. `test` answers from the HTTP context when there is
 * one; from the raw request alone (the early answer) it answers false
 * when the rule surely does not apply and null when only the context can
 * tell. A new way through is one more rule.
 */
interface BypassRule {
  verdict: Decision
  test(
    snapshot: Snapshot,
    req: IncomingMessage,
    path: string,
    ctx: HttpContext | null
  ): boolean | null
}

/**
 * A secret is 16 to 128 letters, digits, "-" or "_" (checked by offline:on)
 */
const SECRET_PATH = /^\/[A-Za-z0-9_-]{16,128}$/

/**
 * What a READ-ONLY site lets through for everyone: GET, HEAD and a CORS
 * preflight (OPTIONS naming the method it asks for), matched on the raw
 * method so a spoofed `POST ?_method=GET` stays a write. Any other
 * OPTIONS may reach a handler (`router.any()`, an OPTIONS route) and is
 * answered like a write.
 */
export function isRead(req: IncomingMessage) {
  const method = req.method
  return (
    method === 'GET' ||
    method === 'HEAD' ||
    (method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined)
  )
}

function hasCookie(req: IncomingMessage, name: string) {
  return req.headers.cookie?.includes(`${name}=`) === true
}

/**
 * The request path's one decision, from the state's snapshot and the
 * request's facts, for the early answer (raw request) and the middleware
 * (HTTP context) alike. Reads memory only.
 */
export class RequestDecision {
  readonly #rules: BypassRule[]

  constructor(
    protected deps: {
      paths: AllowedPaths
      live: LiveStatus | null
      handoff: RouteHandoff
      bypassCookie: string
      secretKey: string | null
      /**
       * Name of the session id cookie; null when the app has no sessions
       */
      sessionCookie: string | null
      hasLoggedOut(sessionId: string): boolean
    }
  ) {
    const { paths, bypassCookie, sessionCookie, hasLoggedOut } = deps
    this.#rules = [
      {
        verdict: { kind: 'bypass', via: 'path' },
        test: (_snapshot, _req, path) => paths.matches(path),
      },
      {
        verdict: { kind: 'bypass', via: 'cookie' },
        test: ({ bypassValue }, req, _path, ctx) => {
          if (!bypassValue) return false
          if (!ctx) return hasCookie(req, bypassCookie) ? null : false
          const value = ctx.request.cookie(bypassCookie)
          return typeof value === 'string' && safeEqual(value, bypassValue)
        },
      },
      {
        verdict: { kind: 'bypass', via: 'ip' },
        test: ({ ips }, _req, _path, ctx) => {
          if (ips.isEmpty) return false
          return ctx ? ips.matches(ctx.request.ip()) : null
        },
      },
      /**
       * PENDING: sessions logged in before the drain began finish their
       * work. The signed presence marker (presence_marker.ts) tells them
       * apart without reading the session store; it expires, and a session
       * that logged out since is refused whatever marker it shows. A
       * remember-me cookie alone does not count: it would open a new
       * session, which is a new login.
       */
      {
        verdict: { kind: 'bypass', via: 'session' },
        test: ({ state }, req, _path, ctx) => {
          if (state.status !== 'pending' || !sessionCookie || !state.drainStartedAt) return false
          if (!ctx) return hasCookie(req, sessionCookie) ? null : false
          const sessionId = readSessionId(ctx.request, sessionCookie)
          return (
            sessionId !== null &&
            loggedInBefore(readMarker(ctx.request), sessionId, state.drainStartedAt) &&
            !hasLoggedOut(sessionId)
          )
        },
      },
    ]
  }

  /**
   * Call only when the site is not ONLINE. Without a context (the early
   * answer) anything the raw request cannot settle is UNDECIDED, so the
   * early answer only ever sends more requests to the middleware.
   */
  decide(snapshot: Snapshot, req: IncomingMessage, path: string, ctx: HttpContext | null) {
    if (this.isSecretPath(snapshot, path)) return ctx ? GRANT : UNDECIDED
    if (snapshot.state.readOnly && isRead(req)) return PASS
    for (const rule of this.#rules) {
      const lets = rule.test(snapshot, req, path, ctx)
      if (lets === true) return rule.verdict
      if (lets === null) return UNDECIDED
    }

    /**
     * A refused poll of the live banner's status endpoint is answered
     * here (a route of the provider answers it otherwise), so only
     * refused requests pay for the path check
     */
    if (this.deps.live?.matches(req.method, path)) return POLL
    const { handoff } = this.deps
    if (handoff.active) {
      if (ctx) return HANDOFF
      if (!handoff.refusesRaw(req, path)) return UNDECIDED
    }

    /**
     * A redirect needs the context (the request's Host): the middleware
     * writes it
     */
    if (!ctx && snapshot.redirect) return UNDECIDED
    return REFUSE
  }

  isSecretPath(snapshot: Snapshot, path: string) {
    return (
      snapshot.bypassValue !== null &&
      SECRET_PATH.test(path) &&
      safeEqual(hashSecret(path.slice(1), this.deps.secretKey), snapshot.state.secretHash!)
    )
  }
}
