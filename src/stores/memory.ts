/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import debug from '../debug.ts'
import { parseState } from '../state.ts'
import type {
  MaintenanceState,
  MaintenanceStoreContract,
  RawStateRecord,
  TaskRecord,
} from '../types.ts'

/**
 * What the memory stores of one `stores.memory()` config share, as the
 * processes of one host share the file store's directory: two managers
 * over it see each other's writes. Records are kept serialised, so no
 * caller holds a reference into the store.
 */
export class MemoryBackend {
  state: { revision: number; data: string } | null = null
  /**
   * Session key → expiry
   */
  sessions = new Map<string, number>()
  /**
   * Session key → end of the logout reminder
   */
  loggedOut = new Map<string, number>()
  /**
   * Task id → serialised TaskRecord
   */
  tasks = new Map<string, string>()
  listeners = new Set<() => void>()
}

/**
 * The in-process store, for the tests of apps and of this package. It
 * lives and dies with the process: nothing is shared with another
 * process (an Ace command run as its own process sees none of it).
 */
export class MemoryStore implements MaintenanceStoreContract {
  readonly name = 'memory'
  #listeners = new Set<() => void>()

  constructor(readonly backend: MemoryBackend = new MemoryBackend()) {}

  async read(): Promise<MaintenanceState | null> {
    const state = this.backend.state
    if (state === null) return null
    return parseState(state.data, 'the memory store')
  }

  /**
   * The check and the write happen in one turn of the event loop: no
   * other writer can come in between
   */
  async compareAndSet(next: MaintenanceState, expectedRevision: number) {
    if ((this.backend.state?.revision ?? 0) !== expectedRevision) return false
    this.backend.state = { revision: next.revision, data: JSON.stringify(next) }
    this.#announce()
    return true
  }

  async readRaw(): Promise<RawStateRecord | null> {
    return this.backend.state && { ...this.backend.state }
  }

  async replaceCorrupt(next: MaintenanceState, record: RawStateRecord) {
    if (this.backend.state?.data !== record.data) return false
    return this.compareAndSet(next, this.backend.state.revision)
  }

  async touchSession(key: string, _userId: string | number | null, expiresAt: number) {
    this.backend.sessions.set(key, expiresAt)
  }

  async dropSession(key: string, loggedOutUntil?: number) {
    this.backend.sessions.delete(key)
    if (loggedOutUntil !== undefined) this.backend.loggedOut.set(key, loggedOutUntil)
  }

  async loggedOutSessions(now: number) {
    return live(this.backend.loggedOut, now)
  }

  /**
   * Counts live sessions and forgets the expired ones on the way
   */
  async countSessions(now: number, cap: number = Infinity) {
    return Math.min(cap, live(this.backend.sessions, now).length)
  }

  async registerTask(task: TaskRecord) {
    this.backend.tasks.set(task.id, JSON.stringify(task))
  }

  #updateTask(id: string, update: Partial<TaskRecord>) {
    const current = this.backend.tasks.get(id)
    if (current === undefined) return
    this.backend.tasks.set(
      id,
      JSON.stringify({ ...(JSON.parse(current) as TaskRecord), ...update })
    )
  }

  async heartbeatTask(id: string, heartbeatAt: number, expiresAt: number) {
    this.#updateTask(id, { heartbeatAt, expiresAt })
  }

  async finishTask(id: string, status: 'finished' | 'failed', finishedAt: number) {
    this.#updateTask(id, { status, finishedAt })
  }

  async runningTasks(now: number) {
    return [...this.backend.tasks.values()]
      .map((row) => JSON.parse(row) as TaskRecord)
      .filter((task) => task.status === 'running' && task.expiresAt > now)
  }

  /**
   * Every memory store over the same backend learns of a state write at
   * once, as Redis subscribers do: just after the write, never inside it
   */
  async subscribe(listener: () => void) {
    const entry = () => listener()
    this.#listeners.add(entry)
    this.backend.listeners.add(entry)
  }

  #announce() {
    for (const listener of this.backend.listeners) {
      queueMicrotask(() => {
        if (!this.backend.listeners.has(listener)) return
        try {
          listener()
        } catch (error) {
          debug('a memory store listener failed: %O', error)
        }
      })
    }
  }

  /**
   * Stops this store's subscriptions; the records stay in the backend
   */
  async close() {
    for (const listener of this.#listeners) this.backend.listeners.delete(listener)
    this.#listeners.clear()
  }
}

/**
 * Keys whose expiry is after `now`; the others are removed
 */
function live(entries: Map<string, number>, now: number): string[] {
  const keys: string[] = []
  for (const [key, expiresAt] of entries) {
    if (expiresAt > now) keys.push(key)
    else entries.delete(key)
  }
  return keys
}
