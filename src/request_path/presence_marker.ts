/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { configProvider } from '@adonisjs/core'
import type { HttpRequest as Request, HttpResponse as Response } from '@adonisjs/core/http'
import type { ApplicationService } from '@adonisjs/core/types'
import debug from '../debug.ts'
import { sessionKey } from '../session_key.ts'

/**
 * Name of the signed cookie that says "this session was seen logged in
 * since t". It lets the first server middleware tell, during PENDING, a
 * session logged in before the drain from an anonymous visitor without
 * reading the session store.
 */
export const PRESENCE_COOKIE = 'site_maintenance_seen'

/**
 * The marker is bound to the session id (login regenerates the id, which
 * makes an older marker stale at once) and carries its own expiry:
 * AdonisJS signed cookies hold no expiry of their own, so a copied marker
 * would otherwise replay for as long as its session id is accepted.
 */
const PRESENCE_COOKIE_OPTIONS = {
  httpOnly: true,
  sameSite: 'lax' as const,
  path: '/',
}

/**
 * A real signed value of either cookie the gate reads (a session id, a
 * marker) is well under 300 bytes. Anything longer is refused before any
 * lookup or signature check, so a forged 15 KB cookie costs no memory.
 */
export const MAX_COOKIE_LENGTH = 512

/**
 * The value of the marker cookie
 */
export interface PresenceMarker {
  /**
   * Hash prefix of the session id (the id itself is a bearer token)
   */
  s: string
  /**
   * When the session was first seen logged in, epoch milliseconds
   */
  t: number
  /**
   * When this marker stops counting, epoch milliseconds: at most the
   * session idle age after it was last written
   */
  x: number
}

/**
 * The tag of a session id carried by the marker
 */
export function sessionTag(sessionId: string): string {
  return sessionKey(sessionId).slice(0, 32)
}

/**
 * Signed cookie values that passed the check, by cookie name and raw
 * value. Checking a signature is the costliest step of a logged-in
 * request: on Node.js 24 each of the verifier's three HMACs prepares its
 * Buffer key anew (~12 µs, against ~2 µs with a prepared key), while a
 * browser sends the same value for the whole session. Only successes are
 * kept (a stranger cannot sign, so cannot fill it), values are at most
 * MAX_COOKIE_LENGTH long, and the whole cache is bounded in bytes; per
 * process, which serves one app (one APP_KEY).
 */
const verified = new Map<string, Map<string, unknown>>()
const MAX_VERIFIED_BYTES = 4 * 1024 * 1024
let verifiedBytes = 0

/**
 * The signed cookie `name` of this request, verified by this app and
 * accepted by `accept` (which shapes the value), or null
 */
function verifiedCookie<T>(
  request: Request,
  name: string,
  accept: (value: unknown) => T | null
): T | null {
  const raw = request.cookiesList()[name]
  if (typeof raw !== 'string' || !raw || raw.length > MAX_COOKIE_LENGTH) return null
  let values = verified.get(name)
  if (!values) verified.set(name, (values = new Map()))
  const known = values.get(raw) as T | undefined
  if (known !== undefined) return known

  const value = accept(request.cookie(name))
  if (value === null) return null
  if (verifiedBytes + raw.length * 2 > MAX_VERIFIED_BYTES) {
    verified.clear()
    verified.set(name, (values = new Map()))
    verifiedBytes = 0
  }
  values.set(raw, value)
  verifiedBytes += raw.length * 2
  return value
}

/**
 * Bytes of cookie values held by the verified cache (for the tests)
 */
export function verifiedCacheBytes() {
  return verifiedBytes
}

/**
 * The marker of this request, when present, signed by this app and well formed
 */
export function readMarker(request: Request): PresenceMarker | null {
  return verifiedCookie(request, PRESENCE_COOKIE, asMarker)
}

function asMarker(value: any): PresenceMarker | null {
  return value &&
    typeof value === 'object' &&
    typeof value.s === 'string' &&
    typeof value.t === 'number' &&
    typeof value.x === 'number'
    ? { s: value.s, t: value.t, x: value.x }
    : null
}

/**
 * The session id of this request, from the signed cookie of
 * @adonisjs/session, without verifying again a value seen before: the
 * session middleware verifies it later in the request, as it does while
 * ONLINE, so letting a session through while PENDING adds no signature
 * check of its own.
 */
export function readSessionId(request: Request, cookieName: string): string | null {
  return verifiedCookie(request, cookieName, asSessionId)
}

function asSessionId(value: unknown): string | null {
  return typeof value === 'string' && value ? value : null
}

/**
 * Whether the marker shows this session logged in before `instant`, and
 * is still in force at `now`
 */
export function loggedInBefore(
  marker: PresenceMarker | null,
  sessionId: unknown,
  instant: number,
  now: number = Date.now()
): boolean {
  if (!marker || typeof sessionId !== 'string' || !sessionId) return false
  return marker.t < instant && marker.x > now && marker.s === sessionTag(sessionId)
}

/**
 * Keep the marker in step with the session: written when a logged-in
 * session has none, one of an older session id, or one past half its
 * life (so an active session's marker never lapses, while one copied and
 * left alone expires after `maxAge` ms); cleared when the session is no
 * longer logged in
 */
export function syncMarker(
  request: Request,
  response: Response,
  sessionId: string,
  loggedIn: boolean,
  maxAge: number,
  now: number = Date.now()
) {
  const marker = readMarker(request)
  if (loggedIn) {
    const tag = sessionTag(sessionId)
    const current = marker !== null && marker.s === tag ? marker : null
    if (!current || current.x - now < maxAge / 2) {
      const value: PresenceMarker = { s: tag, t: current ? current.t : now, x: now + maxAge }
      response.cookie(PRESENCE_COOKIE, value, {
        ...PRESENCE_COOKIE_OPTIONS,
        maxAge: Math.ceil(maxAge / 1000),
      })
    }
  } else if (marker || request.cookiesList()[PRESENCE_COOKIE] !== undefined) {
    response.clearCookie(PRESENCE_COOKIE)
  }
}

/**
 * The name of the session id cookie, from config/session.ts (resolved
 * once; `adonis_session` is session's own default). null when the app
 * has no session config: then no request counts as logged in.
 */
export async function sessionCookieName(app: ApplicationService): Promise<string | null> {
  const config = app.config.get<unknown>('session', null)
  if (!config) return null
  try {
    const resolved = await configProvider.resolve<{ cookieName?: string; enabled?: boolean }>(
      app,
      config
    )
    const value = resolved ?? (config as { cookieName?: string; enabled?: boolean })
    if (value.enabled === false) return null
    return value.cookieName ?? 'adonis_session'
  } catch (error) {
    debug('cannot resolve config/session.ts, assuming the default cookie name: %O', error)
    return 'adonis_session'
  }
}
