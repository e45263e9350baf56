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
import { warnOnUnsafeBetterSqlite3 } from './better_sqlite3_check.ts'
import { PgListener, notifyChannel } from './pg_listener.ts'
import { sweepExpiredSessions } from './session_sweep.ts'
import { sqliteFile, sqliteSignature, warnOnRollbackJournal } from './sqlite_file.ts'
import { taskRecord, taskRow } from './task_rows.ts'
import type { TaskRow } from './task_rows.ts'
import { guardStore } from './guard_store.ts'
import { parseState } from '../state.ts'
import type {
  DatabaseStoreOptions,
  MaintenanceState,
  MaintenanceStoreContract,
  RawStateRecord,
  TaskRecord,
} from '../types.ts'

/**
 * Where there is no LISTEN/NOTIFY, how often a subscribed store checks
 * the revision alone (one primary-key lookup; on SQLite, only once the
 * database files changed)
 */
const REVISION_CHECK_MS = 150

/**
 * Where the store runs: the app root resolves the app's own
 * better-sqlite3, the logger receives the warning about it
 */
export interface DatabaseStoreContext {
  appRoot?: URL | string
  logger?: { warn(message: string): unknown }
}

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
  /**
   * The SQLite database file, when the connection is one (undefined: not
   * looked up yet, null: not SQLite or not a file)
   */
  #sqliteFile: string | null | undefined = undefined
  /**
   * The state as last read from SQLite, with the files' signature then
   */
  #cached: { signature: string; state: MaintenanceState | null } | null = null
  /**
   * The NOTIFY channel of the state table, on PostgreSQL only
   */
  #channel: string | null
  #listener: PgListener | null = null
  /**
   * The revision check of a subscribed store elsewhere: its timer, the
   * last revision this store saw, and the SQLite files' signature then
   */
  #revisionTimer: NodeJS.Timeout | null = null
  #context: DatabaseStoreContext
  #checking = false
  #seenRevision: number | null = null
  #checkedSignature: string | null = null

  constructor(
    protected client: QueryClientContract,
    options: DatabaseStoreOptions = {},
    context: DatabaseStoreContext = {}
  ) {
    this.stateTable = options.stateTable ?? 'maintenance_state'
    this.sessionsTable = options.sessionsTable ?? 'maintenance_sessions'
    this.tasksTable = options.tasksTable ?? 'maintenance_tasks'
    this.sessionTable = options.sessionTable ?? null
    this.#context = context
    if (client.dialect.name === 'better-sqlite3') {
      warnOnUnsafeBetterSqlite3(context.appRoot, context.logger)
    }
    this.#channel = client.dialect.name === 'postgres' ? notifyChannel(this.stateTable) : null
  }

  /**
   * Turn driver errors into E_STORE_UNAVAILABLE, keeping our own errors
   */
  #guard<T>(work: () => Promise<T>): Promise<T> {
    return guardStore(this.name, work)
  }

  /**
   * On SQLite, the state is queried only when the database file or its
   * WAL changed since the last query (two `stat` calls otherwise): every
   * process polls every `refreshInterval`, and a statement per poll is
   * what better-sqlite3 < 13 on Node.js 24 eventually aborts on while
   * finalizing. Any write changes a file's mtime or size, so a write from
   * another process is still seen by the next poll.
   */
  async read(): Promise<MaintenanceState | null> {
    const signature = await this.#sqliteSignature()
    if (signature !== null && this.#cached?.signature === signature) return this.#cached.state
    this.#cached = null
    const row = await this.#guard(() =>
      this.client.from(this.stateTable).where('id', 1).select('data', 'revision').first()
    )
    this.#seenRevision = row ? Number(row.revision) : 0
    const state =
      !row || Number(row.revision) === 0 ? null : parseState(row.data, `table "${this.stateTable}"`)
    if (signature !== null && !signature.endsWith('racy')) this.#cached = { signature, state }
    return state
  }

  /**
   * The SQLite files' signature (see sqlite_file.ts), null when not on an
   * SQLite file
   */
  async #sqliteSignature(): Promise<string | null> {
    const file = this.#databaseFile()
    return file ? sqliteSignature(file) : null
  }

  #databaseFile(): string | null {
    if (this.#sqliteFile === undefined) this.#sqliteFile = sqliteFile(this.client)
    return this.#sqliteFile
  }

  async compareAndSet(next: MaintenanceState, expectedRevision: number): Promise<boolean> {
    /**
     * The guarded UPDATE reads the row itself; whatever it finds, the
     * cached state is no longer to be trusted
     */
    this.#cached = null
    return this.#guard(async () => {
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
      return this.#update(next, expectedRevision)
    })
  }

  /**
   * The guarded UPDATE of every state write: the row must still be at
   * `revision` (and hold `data`, when given)
   */
  async #update(next: MaintenanceState, revision: number, data?: string) {
    const taken = this.#channel
      ? await this.#updateAndNotify(this.#channel, next, revision, data)
      : await this.#updateRow(next, revision, data)
    /**
     * Its own write is no news to the revision check
     */
    if (taken) this.#seenRevision = next.revision
    return taken
  }

  async #updateRow(next: MaintenanceState, revision: number, data?: string) {
    const query = this.client.from(this.stateTable).where('id', 1).where('revision', revision)
    if (data !== undefined) query.where('data', data)
    const updated = await query.update({
      revision: next.revision,
      data: JSON.stringify(next),
      updated_at: Date.now(),
    })
    return affected(updated) === 1
  }

  /**
   * The same UPDATE on PostgreSQL, announcing the new revision on the
   * channel in the same statement: listeners hear of it on commit, and
   * only when the row was taken
   */
  async #updateAndNotify(channel: string, next: MaintenanceState, revision: number, data?: string) {
    const bindings: (string | number)[] = [
      this.stateTable,
      next.revision,
      JSON.stringify(next),
      Date.now(),
      revision,
    ]
    if (data !== undefined) bindings.push(data)
    const result = await this.client.rawQuery(
      `with updated as (update ?? set revision = ?, data = ?, updated_at = ? ` +
        `where id = 1 and revision = ?${data === undefined ? '' : ' and data = ?'} returning revision) ` +
        `select pg_notify(?, revision::text) from updated`,
      [...bindings, channel]
    )
    return result.rows.length === 1
  }

  async readRaw(): Promise<RawStateRecord | null> {
    const row = await this.#guard(() =>
      this.client.from(this.stateTable).where('id', 1).select('data', 'revision').first()
    )
    if (!row || Number(row.revision) === 0) return null
    return { data: String(row.data), revision: Number(row.revision) }
  }

  /**
   * The revision column is intact when the data is not: the same guarded
   * UPDATE as every write, which must also find the same data
   */
  async replaceCorrupt(next: MaintenanceState, record: RawStateRecord) {
    this.#cached = null
    return this.#guard(() => this.#update(next, record.revision, record.data))
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
  async countSessions(now: number, cap?: number) {
    if (this.sessionTable) return this.#countSessionTable(now, cap)
    const row = await this.#guard(() =>
      this.#capped(this.client.from(this.sessionsTable).where('expires_at', '>', now), cap)
    )
    if (now - this.#lastSweep > 60_000 && !this.#sweeping) {
      this.#lastSweep = now
      this.#sweeping = sweepExpiredSessions(this.client, this.sessionsTable, now).finally(
        () => (this.#sweeping = null)
      )
    }
    return Number(row?.total ?? 0)
  }

  /**
   * Logged-in sessions of @adonisjs/session's own table: tagged with a
   * user and not expired (expired rows linger until its GC). Uses its
   * `user_id` and `expires_at` indexes.
   */
  async #countSessionTable(now: number, cap?: number) {
    return this.#guard(async () => {
      const row = await this.#capped(
        this.client
          .from(this.sessionTable!)
          .whereNotNull('user_id')
          .where('expires_at', '>', new Date(now)),
        cap
      )
      return Number(row?.total ?? 0)
    })
  }

  /**
   * `count(*)` of the rows `query` selects, stopping at `cap` rows: the
   * count of a subquery with a limit reads at most `cap` index entries,
   * where a plain count reads them all (100k sessions: 10-30 ms on
   * MariaDB under load)
   */
  #capped(query: ReturnType<QueryClientContract['from']>, cap?: number) {
    if (cap === undefined || !Number.isFinite(cap)) return query.count('* as total').first()
    const limited = query.select(this.client.raw('1')).limit(cap).as('capped')
    return this.client.query().from(limited).count('* as total').first()
  }

  async registerTask(task: TaskRecord) {
    await this.#guard(() => this.client.table(this.tasksTable).insert(taskRow(task)))
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
    return rows.map((row: TaskRow) => taskRecord(row))
  }

  /**
   * Hear of state writes from other processes before the poll does: on
   * PostgreSQL through LISTEN on a connection of its own, elsewhere
   * through a check of the revision every 150 ms
   */
  async subscribe(listener: () => void) {
    if (this.#channel) {
      if (this.#listener) return
      const knex = this.client.getWriteClient()
      this.#listener = new PgListener(knex, this.#channel, listener)
      await this.#listener.start()
      return
    }
    if (this.#revisionTimer) return
    this.#revisionTimer = setInterval(() => this.#checkRevision(listener), REVISION_CHECK_MS)
    this.#revisionTimer.unref()
    const file = this.#databaseFile()
    if (file) await warnOnRollbackJournal(this.client, file, this.#context.logger)
  }

  /**
   * Calls the listener when the revision moved since this store last saw
   * it. On SQLite nothing is queried while the files are unchanged.
   * Failures are left to the poll.
   */
  async #checkRevision(listener: () => void) {
    if (this.#checking) return
    this.#checking = true
    try {
      const signature = await this.#sqliteSignature()
      if (signature !== null && signature === this.#checkedSignature) return
      const row = await this.client.from(this.stateTable).where('id', 1).select('revision').first()
      if (signature !== null && !signature.endsWith('racy')) this.#checkedSignature = signature
      const revision = row ? Number(row.revision) : 0
      const seen = this.#seenRevision
      this.#seenRevision = revision
      if (seen !== null && seen !== revision) listener()
    } catch (error) {
      debug('checking the state revision failed: %s', (error as Error).message)
    } finally {
      this.#checking = false
    }
  }

  /**
   * Stops listening, and lets a running sweep finish before the
   * connection goes
   */
  async close() {
    if (this.#revisionTimer) clearInterval(this.#revisionTimer)
    this.#revisionTimer = null
    await this.#listener?.close()
    this.#listener = null
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
