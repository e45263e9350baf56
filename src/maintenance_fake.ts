/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { AssertionError } from 'node:assert'
import type { MemoryStore } from './stores/memory.ts'
import { statusLabel } from './state.ts'
import type { ActivateOptions, MaintenanceState, MaintenanceStatus } from './types.ts'

/**
 * Stands for the sessions logged in before a faked drain: it keeps a
 * faked PENDING from being promoted to OFFLINE by the refresh loop
 */
const HELD_SESSION = 'site-maintenance:fake'

/**
 * What a fake can put the site in: a status, or READ-ONLY
 */
export type FakeStatus = MaintenanceStatus | 'read-only'

/**
 * What a fake drives: the verbs of the site it fakes, and its state in
 * memory
 */
export interface FakedSite {
  readonly state: Readonly<MaintenanceState>
  activate(options: ActivateOptions): Promise<unknown>
  deactivate(options: { requestedBy?: string }): Promise<unknown>
  settle(): Promise<unknown>
}

/**
 * What `maintenance.fake()` returns in the tests of an app: the manager
 * runs on an in-memory store in the status asked for, requests get what
 * they would get in that status, and nothing reaches the configured store
 * or the host's lock file. `restore()` (run by itself after the Japa test
 * that faked) goes back to the configured store.
 */
export class MaintenanceFake {
  #restored = false

  constructor(
    protected site: FakedSite,
    readonly store: MemoryStore,
    protected release: () => Promise<void>
  ) {}

  /**
   * Put the site in `status`. PENDING waits on a session that never ends
   * (`timeout` in the options ends it like a real drain); OFFLINE is
   * forced; READ-ONLY is OFFLINE for writes only; ONLINE ends the
   * maintenance.
   */
  async to(status: FakeStatus, options: ActivateOptions = {}) {
    if (this.#restored) throw new Error('This maintenance fake has been restored')
    if (status === 'online') {
      await this.site.deactivate({ requestedBy: 'maintenance.fake()' })
      return this
    }
    if (this.site.state.status !== 'online') {
      await this.site.deactivate({ requestedBy: 'maintenance.fake()' })
    }
    if (status === 'pending') {
      await this.store.touchSession(HELD_SESSION, null, Number.MAX_SAFE_INTEGER)
    } else {
      await this.store.dropSession(HELD_SESSION)
    }
    await this.site.activate({
      requestedBy: 'maintenance.fake()',
      ...options,
      force: status === 'offline',
      readOnly: status === 'read-only',
    })
    return this
  }

  /**
   * End the drain of a faked PENDING, as the last logout would
   */
  async endDrain() {
    await this.store.dropSession(HELD_SESSION)
    await this.site.settle()
    return this
  }

  /**
   * Back to the configured store and the state it holds
   */
  async restore() {
    if (this.#restored) return
    this.#restored = true
    await this.release()
  }

  assertStatus(expected: FakeStatus) {
    const label = statusLabel(this.site.state)
    const actual = label.toLowerCase() as FakeStatus
    if (actual !== expected) {
      throw new AssertionError({
        message: `Expected the site to be ${expected.toUpperCase()}, it is ${label}`,
        actual,
        expected,
        operator: 'strictEqual',
      })
    }
  }

  assertOnline() {
    this.assertStatus('online')
  }

  assertPending() {
    this.assertStatus('pending')
  }

  assertOffline() {
    this.assertStatus('offline')
  }

  assertReadOnly() {
    this.assertStatus('read-only')
  }
}
