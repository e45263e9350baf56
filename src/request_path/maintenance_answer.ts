/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { IncomingMessage } from 'node:http'
import accepts from 'accepts'

/**
 * The maintenance answer of one state, prepared once per state revision:
 * what both writers (the early answer on the Node.js server and the
 * middleware) send, so they cannot drift apart
 */
export interface PreparedAnswer {
  retryAfter: string
  html: () => string
  json: string
  /**
   * The bodies in the language of an Accept-Language header; without
   * it, `html` and `json` answer everyone
   */
  localized?: (acceptLanguage: string | string[] | undefined) => {
    locale: string
    html: () => string
    json: string
  }
}

/**
 * What the answer reads of a refused request: the raw Node.js request,
 * which both writers hold
 */
export type AnsweredRequest = Pick<IncomingMessage, 'headers' | 'url'>

/**
 * Status, headers and body of the maintenance answer to a refused
 * request. JSON when the client prefers it to HTML, whatever else it
 * sends. Otherwise the HTML page, except for two kinds of script-driven
 * requests that would show it in the wrong place:
 *
 * - an Inertia visit (`X-Inertia: true`) gets 409 with
 *   `X-Inertia-Location`, Inertia's protocol for "visit this URL with the
 *   browser": a full page load of the same URL, which carries no
 *   X-Inertia header and gets the 503 page (no loop). Without this the
 *   client shows the page in a modal over the app.
 * - an htmx request (`HX-Request: true`) gets the 503 page with
 *   `HX-Refresh: true`. htmx reads HX-Refresh (like HX-Redirect and
 *   HX-Location) before it decides from the status whether to swap, and
 *   reloads the page whatever the status; by default it swaps no 5xx, so
 *   without the header a click would silently do nothing. The status
 *   stays 503 and the body the page, so a client that ignores the header
 *   still gets the maintenance answer. A history restore
 *   (`HX-History-Restore-Request`) expects a full page and does not read
 *   HX-Refresh: it gets the plain answer.
 */
export function maintenanceAnswer(
  prepared: PreparedAnswer,
  request: AnsweredRequest
): MaintenanceReply {
  const { headers } = request
  if (wantsJson(headers.accept)) {
    const localized = prepared.localized?.(headers['accept-language'])
    const source = localized ?? prepared
    return replyOf(
      source,
      'json',
      source.json,
      'application/json; charset=utf-8',
      prepared,
      localized
    )
  }

  if (headers['x-inertia'] === 'true') {
    const location = sameSiteLocation(request.url)
    const replyHeaders = {
      'Cache-Control': 'no-store',
      'Retry-After': prepared.retryAfter,
      'X-Inertia-Location': location,
    }
    return {
      status: 409,
      headers: replyHeaders,
      wireHeaders: flatHeaders({ ...replyHeaders, 'Content-Length': '0' }),
      body: '',
    }
  }

  const localized = prepared.localized?.(headers['accept-language'])
  const source = localized ?? prepared
  const htmx = headers['hx-request'] === 'true' && headers['hx-history-restore-request'] !== 'true'
  return replyOf(
    source,
    htmx ? 'htmx' : 'html',
    source.html(),
    'text/html; charset=utf-8',
    prepared,
    localized
  )
}

/**
 * Status, headers and body of one maintenance answer. Shared by every
 * request that gets the same answer: never modified.
 */
export interface MaintenanceReply {
  status: number
  headers: Readonly<Record<string, string>>
  /**
   * The headers plus Content-Length, as the early answer writes them
   * with `writeHead`: a flat list of names and values (see flatHeaders)
   */
  wireHeaders: readonly string[]
  body: string
}

type ReplyKind = 'html' | 'htmx' | 'json'

/**
 * `[name, value, name, value…]`, the form of `writeHead` headers that
 * Node.js writes with an indexed loop. An object goes through a `for…in`
 * that AdonisJS's own responses share: once a process has written a few
 * responses of other header shapes, that loop is megamorphic, and every
 * early answer paid ~6 µs for it (BENCHMARKS.md, ninth session)
 */
function flatHeaders(headers: Record<string, string>): string[] {
  return Object.entries(headers).flat()
}

/**
 * The replies built for one body source (a prepared answer, or one of its
 * languages), per kind. Both sources live as long as their state revision,
 * so the replies go with them.
 */
const replies = new WeakMap<object, Partial<Record<ReplyKind, MaintenanceReply>>>()

/**
 * The reply of a kind for a body, built on first use and kept while the
 * body stays the same string (the HTML changes once, when the app's
 * template has rendered): answering a crowd builds no headers, computes
 * no length and allocates nothing per request
 */
function replyOf(
  source: object,
  kind: ReplyKind,
  body: string,
  contentType: string,
  prepared: PreparedAnswer,
  localized: { locale: string } | undefined
): MaintenanceReply {
  let built = replies.get(source)
  const cached = built?.[kind]
  if (cached && cached.body === body) return cached
  const headers: Record<string, string> = {
    'Cache-Control': 'no-store',
    'Retry-After': prepared.retryAfter,
    'Content-Type': contentType,
    ...languageHeaders(localized),
  }
  if (kind === 'htmx') headers['HX-Refresh'] = 'true'
  const reply: MaintenanceReply = {
    status: 503,
    headers,
    wireHeaders: flatHeaders({ ...headers, 'Content-Length': String(Buffer.byteLength(body)) }),
    body,
  }
  if (!built) replies.set(source, (built = {}))
  built[kind] = reply
  return reply
}

/**
 * The body's language, and what it was chosen from, so a cache keeps
 * the languages (and JSON and HTML) apart
 */
function languageHeaders(localized: { locale: string } | undefined) {
  return localized
    ? { 'Content-Language': localized.locale, 'Vary': 'Accept, Accept-Language' }
    : undefined
}

/**
 * The request's own path and query, as a location the browser resolves
 * on this site: leading slashes (or backslashes) collapse into one, so a
 * request line like `//evil.example/` cannot become a protocol-relative
 * location to another host. Never the Host header: behind a proxy it
 * may name another site
 */
function sameSiteLocation(url: string | undefined): string {
  if (url?.[0] === '/') {
    return url[1] === '/' || url[1] === '\\' ? url.replace(/^[/\\]+/, '/') : url
  }
  /**
   * The absolute form a proxy may send (`GET http://host/path`)
   */
  try {
    const { pathname, search } = new URL(url ?? '')
    return sameSiteLocation(pathname + search)
  } catch {
    return '/'
  }
}

/**
 * Whether an Accept header prefers JSON to HTML, as `request.accepts()`
 * negotiates it (the same library), remembered per header value: clients
 * send a handful of distinct values
 */
export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false
  let json = negotiated.get(accept)
  if (json === undefined) {
    const preferred = accepts({ headers: { accept } } as IncomingMessage).type(['html', 'json'])
    json = preferred ? preferred === 'json' : accept.includes('json')
    if (accept.length > MAX_ACCEPT_LENGTH) return json
    if (negotiated.size >= 1000) negotiated.clear()
    negotiated.set(accept, json)
  }
  return json
}

const negotiated = new Map<string, boolean>()

/**
 * Browsers send Accept headers of a few dozen bytes; a longer one is
 * negotiated but not remembered, so forged headers cannot fill memory
 */
const MAX_ACCEPT_LENGTH = 256
