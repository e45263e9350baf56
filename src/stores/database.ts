/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import debug from '../debug.ts'
import * as errors from '../errors.ts'
import { parseState } from '../state.ts'
import type {
  DatabaseStoreOptions,
  MaintenanceState,
  MaintenanceStoreContract,
  TaskRecord,
} from '../types.ts'

/**
 * Expired presence rows deleted per statement, and statements per sweep
 */
const SWEEP_BATCH_SIZE = 10_000
const SWEEP_BATCHES = 20

/**
 * Lucid store for several app servers: one state row written with an
 * optimistic compare-and-set on its revision, and two census tables.
 * Times are BIGINT epoch milliseconds, alike on SQLite, PostgreSQL and MySQL.
 */
export class DatabaseStore implements MaintenanceStoreContract {
  readonly name = 'database'
  readonly stateTable: string
  readonly sessionsTable: string
  readonly tasksTable: string
  /**
   * The table of @adonisjs/session's database store, counted instead of
   * the package's own presence records when set
   */
  readonly sessionTable: string | null

  get tagsSessionsAtLogin() {
    return this.sessionTable !== null
  }
  #lastSweep = 0
  #sweeping: Promise<void> | null = null

  constructor(
    protected client: QueryClientContract,
    options: DatabaseStoreOptions = {}
  ) {
    this.stateTable = options.stateTable ?? 'maintenance_state'
    this.sessionsTable = options.sessionsTable ?? 'maintenance_sessions'
    this.tasksTable = options.tasksTable ?? 'maintenance_tasks'
    this.sessionTable = options.sessionTable ?? null
  }

  /**
   * Turn driver errors into E_STORE_UNAVAILABLE, keeping our own errors
   */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      if (error instanceof errors.E_CORRUPT_STATE) throw error
      throw new errors.E_STORE_UNAVAILABLE([this.name, (error as Error).message])
    }
  }

  async read(): Promise<MaintenanceState | null> {
    const row = await this.#guard(() =>
      this.client.from(this.stateTable).where('id', 1).select('data', 'revision').first()
    )
    if (!row || Number(row.revision) === 0) return null
    return parseState(row.data, `table "${this.stateTable}"`)
  }

  async compareAndSet(next: MaintenanceState, expectedRevision: number): Promise<boolean> {
    return this.#guard(async () => {
      const data = JSON.stringify(next)
      if (expectedRevision === 0) {
        /**
         * First write: make sure the row exists at revision 0, then take it
         * with the same guarded UPDATE as every other write. Update counts
         * are reliable on every driver; insert results are not.
         */
        await this.client
          .knexQuery()
          .table(this.stateTable)
          .insert({ id: 1, revision: 0, data: '', updated_at: Date.now() })
          .onConflict('id')
          .ignore()
      }
      const updated = await this.client
        .from(this.stateTable)
        .where('id', 1)
        .where('revision', expectedRevision)
        .update({ revision: next.revision, data, updated_at: Date.now() })
      return affected(updated) === 1
    })
  }

  async touchSession(key: string, userId: string | number | null, expiresAt: number) {
    if (this.sessionTable) return
    await this.#guard(() =>
      this.client
        .knexQuery()
        .table(this.sessionsTable)
        .insert({
          session_key: key,
          user_id: userId === null ? null : String(userId),
          expires_at: expiresAt,
        })
        .onConflict('session_key')
        .merge(['user_id', 'expires_at'])
    )
  }

  /**
   * A logout keeps its row as a reminder until `loggedOutUntil`, stored
   * negated: every count reads `expires_at > now` and never sees it, and
   * the reminders are one range of the same index (`< -now`)
   */
  async dropSession(key: string, loggedOutUntil?: number) {
    await this.#guard(() => {
      if (loggedOutUntil === undefined) {
        return this.client.from(this.sessionsTable).where('session_key', key).delete()
      }
      return this.client
        .knexQuery()
        .table(this.sessionsTable)
        .insert({ session_key: key, user_id: null, expires_at: -loggedOutUntil })
        .onConflict('session_key')
        .merge(['user_id', 'expires_at'])
    })
  }

  async loggedOutSessions(now: number) {
    const rows = await this.#guard(() =>
      this.client.from(this.sessionsTable).where('expires_at', '<', -now).select('session_key')
    )
    return rows.map((row: { session_key: string }) => row.session_key)
  }

  /**
   * One count on the `expires_at` index. Expired rows are swept at most
   * once a minute, after the count and without holding up its answer:
   * the count ignores them anyway, and a fresh process (`offline:status`,
   * `offline:on`) would otherwise pay for deleting the whole backlog
   * accumulated while ONLINE (measured in bench/census.ts: 10k expired
   * rows of 100k made the first call 60 ms on MariaDB, 42 ms on SQLite).
   */
  async countSessions(now: number) {
    if (this.sessionTable) return this.#countSessionTable(now)
    const row = await this.#guard(() =>
      this.client.from(this.sessionsTable).where('expires_at', '>', now).count('* as total').first()
    )
    if (now - this.#lastSweep > 60_000 && !this.#sweeping) {
      this.#lastSweep = now
      this.#sweeping = this.#sweep(now).finally(() => (this.#sweeping = null))
    }
    return Number(row?.total ?? 0)
  }

  /**
   * Logged-in sessions of @adonisjs/session's own table: tagged with a
   * user and not expired (expired rows linger until its GC). Uses its
   * `user_id` and `expires_at` indexes.
   */
  async #countSessionTable(now: number) {
    return this.#guard(async () => {
      const row = await this.client
        .from(this.sessionTable!)
        .whereNotNull('user_id')
        .where('expires_at', '>', new Date(now))
        .count('* as total')
        .first()
      return Number(row?.total ?? 0)
    })
  }

  /**
   * Deletes expired rows in batches along the `expires_at` index: find the
   * expiry of the batch's last row, delete up to it. No statement runs long
   * or locks much, whatever the backlog, and a session touched meanwhile
   * has moved past `now` and stays. Bounded per sweep; what is left goes
   * with the next one. Never throws.
   */
  async #sweep(now: number) {
    try {
      for (let batch = 0; batch < SWEEP_BATCHES; batch++) {
        const edge = await this.client
          .from(this.sessionsTable)
          .whereBetween('expires_at', [-now, now])
          .orderBy('expires_at', 'asc')
          .offset(SWEEP_BATCH_SIZE - 1)
          .limit(1)
          .select('expires_at')
          .first()
        const upTo = edge ? Math.min(Number(edge.expires_at), now) : now
        await this.client.from(this.sessionsTable).whereBetween('expires_at', [-now, upTo]).delete()
        if (!edge) return
      }
    } catch (error) {
      debug('sweeping expired sessions failed: %s', (error as Error).message)
    }
  }

  async registerTask(task: TaskRecord) {
    await this.#guard(() =>
      this.client.table(this.tasksTable).insert({
        id: task.id,
        name: task.name,
        pid: task.pid,
        host: task.host,
        status: task.status,
        started_at: task.startedAt,
        heartbeat_at: task.heartbeatAt,
        expires_at: task.expiresAt,
        finished_at: task.finishedAt,
      })
    )
  }

  async heartbeatTask(id: string, heartbeatAt: number, expiresAt: number) {
    await this.#guard(() =>
      this.client
        .from(this.tasksTable)
        .where('id', id)
        .update({ heartbeat_at: heartbeatAt, expires_at: expiresAt })
    )
  }

  async finishTask(id: string, status: 'finished' | 'failed', finishedAt: number) {
    await this.#guard(() =>
      this.client.from(this.tasksTable).where('id', id).update({ status, finished_at: finishedAt })
    )
  }

  async runningTasks(now: number): Promise<TaskRecord[]> {
    const rows = await this.#guard(() =>
      this.client
        .from(this.tasksTable)
        .where('status', 'running')
        .where('expires_at', '>', now)
        .select('*')
    )
    return rows.map((row: any) => ({
      id: row.id,
      name: row.name,
      pid: Number(row.pid),
      host: row.host,
      status: row.status,
      startedAt: Number(row.started_at),
      heartbeatAt: Number(row.heartbeat_at),
      expiresAt: Number(row.expires_at),
      finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    }))
  }

  /**
   * Lets a running sweep finish before the connection goes
   */
  async close() {
    await this.#sweeping
  }
}

/**
 * Affected-row count of an UPDATE across drivers
 */
function affected(result: unknown): number {
  if (typeof result === 'number') return result
  if (Array.isArray(result) && typeof result[0] === 'number') return result[0]
  return Number(result ?? 0)
}
