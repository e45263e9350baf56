/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { sessionKey } from './session_key.ts'
import type { MaintenanceState, MaintenanceStoreContract } from './types.ts'

/**
 * The sessions that logged out (in any process) while PENDING, known in
 * memory before a state read is applied, so a copied marker of one of
 * them never passes; nothing is read in the other states
 */
export class LoggedOutSessions {
  #keys = new Set<string>()

  /**
   * Called with each state read, before it is applied
   */
  async load(store: Pick<MaintenanceStoreContract, 'loggedOutSessions'>, state: MaintenanceState) {
    if (state.status !== 'pending') {
      if (this.#keys.size) this.#keys = new Set()
      return
    }
    this.#keys = new Set(await store.loggedOutSessions(Date.now()))
  }

  /**
   * Whether this session logged out (known while PENDING; no I/O)
   */
  has(sessionId: string) {
    return this.#keys.size > 0 && this.#keys.has(sessionKey(sessionId))
  }

  /**
   * A logout in this process, by its session key
   */
  add(key: string) {
    this.#keys.add(key)
  }
}
