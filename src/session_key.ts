/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash } from 'node:crypto'

/**
 * The hash under which a session's presence is stored: the raw session
 * id is a bearer token, so it is never stored nor logged
 */
export function sessionKey(sessionId: string) {
  let key = sessionKeys.get(sessionId)
  if (key === undefined) {
    key = createHash('sha256').update(sessionId).digest('hex').slice(0, 40)
    if (sessionKeys.size >= 10_000) sessionKeys.clear()
    sessionKeys.set(sessionId, key)
  }
  return key
}

/**
 * Hashes of recent session ids: every request of a logged-in session
 * needs it, for the presence throttle and the marker. Filled only with
 * ids whose signature was verified.
 */
const sessionKeys = new Map<string, string>()
