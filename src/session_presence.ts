/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { LoggedOutSessions } from './logged_out_sessions.ts'
import { sessionKey } from './session_key.ts'
import type { MaintenanceStoreContract, ResolvedMaintenanceConfig } from './types.ts'

/**
 * Where presence is written: the store in use (the configured one, or a
 * fake's)
 */
export interface PresenceStoreSource {
  readonly store: Pick<MaintenanceStoreContract, 'touchSession' | 'dropSession'>
}

/**
 * The presence of logged-in sessions in the store: a touch per request,
 * throttled in memory to one store write per session per presence
 * interval, and a drop on logout. The raw session id is a bearer token,
 * so only its hash is stored.
 */
export class SessionPresence {
  #touched = new Map<string, number>()
  #writing = new Map<string, Promise<void>>()

  constructor(
    protected config: Pick<ResolvedMaintenanceConfig, 'presenceInterval' | 'sessionIdleAge'>,
    protected source: PresenceStoreSource,
    protected loggedOut: Pick<LoggedOutSessions, 'add'>
  ) {}

  /**
   * Record that a logged-in session made a request; false when throttled
   */
  async touch(sessionId: string, userId: string | number | null) {
    const key = sessionKey(sessionId)
    const now = Date.now()
    const last = this.#touched.get(key)
    if (last !== undefined && now - last < this.config.presenceInterval) return false
    this.#touched.set(key, now)
    if (this.#touched.size > 100_000) this.#prune(now)
    const write = this.source.store.touchSession(key, userId, now + this.config.sessionIdleAge)
    this.#writing.set(key, write)
    try {
      await write
    } finally {
      if (this.#writing.get(key) === write) this.#writing.delete(key)
    }
    return true
  }

  /**
   * A logout ends the session's presence at once. The drop wins over a
   * presence write still in flight for that session (the login's, say:
   * the file store's write lands by a rename, which would bring the entry
   * back after the removal), and the throttle entry stays as a tombstone
   * so a request of that session still in flight does not record it
   * again: a logged-out session id never logs in again (login
   * regenerates it).
   */
  async drop(sessionId: string) {
    const key = sessionKey(sessionId)
    this.#touched.set(key, Date.now())
    this.loggedOut.add(key)
    const write = this.#writing.get(key)
    if (write) await write.catch(() => {})
    await this.source.store.dropSession(key, Date.now() + this.config.sessionIdleAge)
  }

  /**
   * Forget the throttle entries older than the interval
   */
  #prune(now: number) {
    for (const [key, at] of this.#touched) {
      if (now - at >= this.config.presenceInterval) this.#touched.delete(key)
    }
  }
}
