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
}

/**
 * Status, headers and body of the 503 for a request with this Accept
 * header: JSON when the client prefers it to HTML, HTML otherwise
 */
export function maintenanceAnswer(prepared: PreparedAnswer, accept: string | undefined) {
  const json = wantsJson(accept)
  const body = json ? prepared.json : prepared.html()
  return {
    status: 503,
    headers: {
      'Cache-Control': 'no-store',
      'Retry-After': prepared.retryAfter,
      'Content-Type': json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
    },
    body,
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
