/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { loadavg } from 'node:os'
import type { Database } from '@adonisjs/lucid/database'
import { MaintenanceManager } from '../src/maintenance_manager.ts'
import { DatabaseStore } from '../src/stores/database.ts'
import { resolveConfig } from '../support/resolve_config.ts'
import {
  type BenchDatabase,
  type TableNames,
  SQLITE_FILE,
  createDatabase,
  createTables,
  dropTables,
} from './lib/databases.ts'
import type { CensusLoadOptions } from './census_load.ts'
import { type Summary, log, round, sleep, summarise, timed } from './lib/stats.ts'

/**
 * Census at scale: 100k presence rows (90% alive, 10% expired, so the
 * first call has a sweep to do) and 1k task rows (50 running, 900
 * finished, 50 stale), on each database the store supports.
 */
export interface CensusResult {
  sessions: number
  tasks: number
  live_sessions: number
  running_tasks: number
  /**
   * countSessions() when its once-a-minute sweep of expired rows runs
   */
  first_call: Summary
  /**
   * The first call plus the sweep of 10k expired rows it starts
   */
  first_call_with_sweep: Summary
  count_sessions: Summary
  running_tasks_ms: Summary
  census: Summary
  plans: Record<string, string[]>
  server_version: string
  /**
   * The same calls while another process writes presence rows as fast as
   * it can (bench/census_load.ts)
   */
  under_load?: CensusUnderLoad
  /**
   * SQLite only: the same in WAL mode
   */
  under_load_wal?: CensusUnderLoad
}

export interface CensusUnderLoad {
  census: Summary
  count_sessions: Summary
  /**
   * Calls that failed (not in the timings), of the runs, and the first
   * failure's message
   */
  census_failed: number
  count_sessions_failed: number
  failure: string | null
  /**
   * The load: writes in flight, writes per second reached, failed writes
   */
  workers: number
  writes_per_second: number
  write_errors: number
  /**
   * 1-minute load average of the machine at the end
   */
  loadavg: number
  /**
   * SQLite only: the journal mode of the file
   */
  journal_mode?: string
}

const SESSIONS = 100_000
const EXPIRED = 10_000
const TASKS = { running: 50, finished: 900, stale: 50 }
const HOUR = 3_600_000
/**
 * Writes in flight of the load, on the servers; the pool of keys it
 * writes (most writes update a row, the first of each key inserts one)
 */
const LOAD_WORKERS = 4
const LOAD_KEYS = 20_000

function key() {
  return randomBytes(20).toString('hex')
}

async function insertBatched(db: Database, connection: BenchDatabase, table: string, rows: any[]) {
  /**
   * SQLite allows 500 terms in a compound SELECT, which knex uses for it
   */
  const size = connection === 'sqlite' ? 400 : 1000
  for (let offset = 0; offset < rows.length; offset += size) {
    await db
      .connection(connection)
      .table(table)
      .multiInsert(rows.slice(offset, offset + size))
  }
}

function sessionRows(count: number, now: number, expired: boolean) {
  return Array.from({ length: count }, (_, index) => ({
    session_key: key(),
    user_id: String(index % 5000),
    expires_at: expired
      ? now - 1 - Math.floor(Math.random() * HOUR)
      : now + HOUR + Math.floor(Math.random() * HOUR),
  }))
}

function taskRows(now: number) {
  const rows: any[] = []
  const add = (count: number, status: string, expiresAt: () => number, finished: boolean) => {
    for (let index = 0; index < count; index++) {
      rows.push({
        id: key(),
        name: `import:batch-${rows.length}`,
        pid: 1000 + rows.length,
        host: 'bench-host',
        status,
        started_at: now - HOUR,
        heartbeat_at: now - 1000,
        expires_at: expiresAt(),
        finished_at: finished ? now - 5000 : null,
      })
    }
  }
  add(TASKS.running, 'running', () => now + HOUR, false)
  add(TASKS.finished, 'finished', () => now - Math.floor(Math.random() * HOUR), true)
  add(TASKS.stale, 'running', () => now - 1 - Math.floor(Math.random() * HOUR), false)
  return rows
}

async function analyse(db: Database, connection: BenchDatabase, names: TableNames) {
  const client = db.connection(connection)
  if (connection === 'pg') {
    await client.rawQuery(`VACUUM ANALYZE ${names.sessions}`)
    await client.rawQuery(`VACUUM ANALYZE ${names.tasks}`)
  } else if (connection === 'mysql') {
    await client.rawQuery(`ANALYZE TABLE ${names.sessions}, ${names.tasks}`)
  } else {
    await client.rawQuery('ANALYZE')
  }
}

/**
 * The query plans of the census queries, as the store builds them
 */
async function plans(db: Database, connection: BenchDatabase, names: TableNames, now: number) {
  const client = db.connection(connection)
  const queries: Record<string, { sql: string; bindings: readonly any[] }> = {
    countSessions: client
      .from(names.sessions)
      .where('expires_at', '>', now)
      .count('* as total')
      .toSQL(),
    sweep: client.from(names.sessions).where('expires_at', '<=', now).delete().toSQL(),
    runningTasks: client
      .from(names.tasks)
      .where('status', 'running')
      .where('expires_at', '>', now)
      .select('*')
      .toSQL(),
  }
  const result: Record<string, string[]> = {}
  for (const [name, query] of Object.entries(queries)) {
    const analyzeIt = name !== 'sweep'
    let lines: string[] = [query.sql]
    if (connection === 'pg') {
      const prefix = analyzeIt ? 'EXPLAIN (ANALYZE, BUFFERS)' : 'EXPLAIN'
      const output = await client.rawQuery(`${prefix} ${query.sql}`, query.bindings as any[])
      lines = lines.concat(output.rows.map((row: any) => row['QUERY PLAN']))
    } else if (connection === 'mysql') {
      const [rows] = await client.rawQuery(`EXPLAIN ${query.sql}`, query.bindings as any[])
      lines = lines.concat(
        rows.map(
          (row: any) =>
            `type=${row.type} possible_keys=${row.possible_keys} key=${row.key} rows=${row.rows} Extra=${row.Extra}`
        )
      )
      if (analyzeIt) {
        const [analyzed] = await client.rawQuery(`ANALYZE ${query.sql}`, query.bindings as any[])
        lines = lines.concat(
          analyzed.map(
            (row: any) =>
              `ANALYZE: key=${row.key} rows=${row.rows} r_rows=${row.r_rows} filtered=${row.filtered} r_filtered=${row.r_filtered} Extra=${row.Extra}`
          )
        )
      }
    } else {
      const rows = await client.rawQuery(`EXPLAIN QUERY PLAN ${query.sql}`, query.bindings as any[])
      lines = lines.concat(rows.map((row: any) => row.detail))
    }
    result[name] = lines
  }
  return result
}

async function serverVersion(db: Database, connection: BenchDatabase) {
  const client = db.connection(connection)
  if (connection === 'pg') {
    const result = await client.rawQuery('SHOW server_version')
    return `PostgreSQL ${result.rows[0].server_version}`
  }
  if (connection === 'mysql') {
    const [rows] = await client.rawQuery('SELECT VERSION() AS version')
    return String(rows[0].version)
  }
  const rows = await client.rawQuery('SELECT sqlite_version() AS version')
  return `SQLite ${rows[0].version}`
}

export async function censusOn(connection: BenchDatabase, quick: boolean): Promise<CensusResult> {
  const runs = quick ? 15 : 50
  const firstRuns = quick ? 2 : 5
  const db = createDatabase(connection)
  const names = await createTables(db, connection, `bench_maintenance_${process.pid}`)
  const options = {
    stateTable: names.state,
    sessionsTable: names.sessions,
    tasksTable: names.tasks,
  }
  try {
    let now = Date.now()
    log(`census ${connection}: seeding ${SESSIONS} sessions and 1000 tasks`)
    await insertBatched(db, connection, names.sessions, sessionRows(SESSIONS - EXPIRED, now, false))
    await insertBatched(db, connection, names.tasks, taskRows(now))

    /**
     * First call of a fresh store: the sweep deletes the expired rows
     */
    const first: number[] = []
    const sweeps: number[] = []
    for (let run = 0; run < firstRuns; run++) {
      await insertBatched(db, connection, names.sessions, sessionRows(EXPIRED, Date.now(), true))
      await analyse(db, connection, names)
      const store = new DatabaseStore(db.connection(connection), options)
      const [ms, count] = await timed(() => store.countSessions(Date.now()))
      if (count !== SESSIONS - EXPIRED) throw new Error(`counted ${count} sessions`)
      first.push(ms)
      /**
       * The sweep of the expired rows (inline before the count in the
       * first version of the store, in the background since): time until
       * the store can close, and check it left only the live rows
       */
      const [sweepMs] = await timed(() => store.close())
      sweeps.push(ms + sweepMs)
      const left = await db.connection(connection).from(names.sessions).count('* as total')
      if (Number(left[0].total) !== SESSIONS - EXPIRED) {
        throw new Error(`the sweep left ${left[0].total} rows`)
      }
    }

    /**
     * Steady state: the sweep ran less than a minute ago
     */
    const store = new DatabaseStore(db.connection(connection), options)
    const manager = new MaintenanceManager(await resolveConfig(store))
    await store.countSessions(Date.now())
    const counts: number[] = []
    const tasks: number[] = []
    const censuses: number[] = []
    let running = 0
    let live = 0
    for (let run = 0; run < runs; run++) {
      now = Date.now()
      const [countMs, count] = await timed(() => store.countSessions(now))
      const [tasksMs, rows] = await timed(() => store.runningTasks(now))
      const [censusMs] = await timed(() => manager.census(now))
      counts.push(countMs)
      tasks.push(tasksMs)
      censuses.push(censusMs)
      live = count
      running = rows.length
    }
    if (running !== TASKS.running) throw new Error(`found ${running} running tasks`)

    const underLoad = await censusUnderLoad(db, connection, names, manager, store, quick)
    /**
     * SQLite again in WAL mode, where readers do not wait on the writer
     */
    let underLoadWal: CensusUnderLoad | undefined
    if (connection === 'sqlite') {
      await db.connection(connection).rawQuery('PRAGMA journal_mode = WAL')
      underLoadWal = await censusUnderLoad(db, connection, names, manager, store, quick)
    }

    const result: CensusResult = {
      sessions: SESSIONS,
      tasks: TASKS.running + TASKS.finished + TASKS.stale,
      live_sessions: live,
      running_tasks: running,
      first_call: summarise(first),
      first_call_with_sweep: summarise(sweeps),
      count_sessions: summarise(counts),
      running_tasks_ms: summarise(tasks),
      census: summarise(censuses),
      plans: await plans(db, connection, names, Date.now()),
      server_version: await serverVersion(db, connection),
      under_load: underLoad,
      ...(underLoadWal ? { under_load_wal: underLoadWal } : {}),
    }
    return result
  } finally {
    await dropTables(db, connection, names).catch(() => {})
    await db.manager.closeAll()
    if (connection === 'sqlite') {
      for (const suffix of ['', '-wal', '-shm', '-journal']) {
        await rm(`${SQLITE_FILE}${suffix}`, { force: true })
      }
    }
  }
}

/**
 * The census and the uncapped count, timed while bench/census_load.ts
 * writes presence rows from another process; a pause between calls
 * spreads them over the load
 */
async function censusUnderLoad(
  db: Database,
  connection: BenchDatabase,
  names: TableNames,
  manager: MaintenanceManager,
  store: DatabaseStore,
  quick: boolean
): Promise<CensusUnderLoad> {
  const runs = quick ? 30 : 100
  const workers = connection === 'sqlite' ? 1 : LOAD_WORKERS
  const options: CensusLoadOptions = {
    connection,
    sqliteFile: SQLITE_FILE,
    sessionsTable: names.sessions,
    stateTable: names.state,
    tasksTable: names.tasks,
    workers,
    keys: LOAD_KEYS,
  }
  const child = fork(new URL('./census_load.ts', import.meta.url), [JSON.stringify(options)], {
    execArgv: ['--import=@poppinss/ts-exec'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the census load did not start')), 60_000)
      child.once('message', () => {
        clearTimeout(timer)
        resolve()
      })
      child.once('exit', (code) => reject(new Error(`the census load exited with ${code}`)))
    })
    log(`census ${connection}: under load (${workers} writers in another process)`)
    await sleep(1000)
    const counts: number[] = []
    const censuses: number[] = []
    const failures = { census: 0, count: 0, error: null as string | null }
    /**
     * A failed call (SQLite: "database is locked" once its busy timeout
     * ran out) is counted, not timed
     */
    const attempt = async (
      work: () => Promise<unknown>,
      into: number[],
      what: 'census' | 'count'
    ) => {
      try {
        const [ms] = await timed(work)
        into.push(ms)
      } catch (error) {
        failures[what]++
        failures.error ??= (error as Error).message.slice(-120)
      }
    }
    for (let run = 0; run < runs; run++) {
      const now = Date.now()
      await attempt(() => manager.census(now), censuses, 'census')
      await attempt(() => store.countSessions(now), counts, 'count')
      await sleep(20 + Math.random() * 30)
    }
    if (failures.error) log(`census ${connection} under load: calls failed: ${failures.error}`)
    const load = loadavg()[0]
    const done = new Promise<{ writes: number; errors: number; seconds: number }>(
      (resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the census load did not stop')), 30_000)
        child.once('message', (message: any) => {
          clearTimeout(timer)
          resolve(message)
        })
      }
    )
    child.send('stop')
    const stats = await done
    const result: CensusUnderLoad = {
      census: summarise(censuses),
      count_sessions: summarise(counts),
      census_failed: failures.census,
      count_sessions_failed: failures.count,
      failure: failures.error,
      workers,
      writes_per_second: Math.round(stats.writes / stats.seconds),
      write_errors: stats.errors,
      loadavg: round(load, 2),
    }
    if (connection === 'sqlite') {
      const rows = await db.connection(connection).rawQuery('PRAGMA journal_mode')
      result.journal_mode = String(rows[0].journal_mode)
    }
    return result
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
}

export async function benchCensus(databases: BenchDatabase[], quick: boolean) {
  const results: Partial<Record<BenchDatabase, CensusResult>> = {}
  for (const connection of databases) {
    results[connection] = await censusOn(connection, quick)
    const r = results[connection]!
    log(
      `census ${connection}: first call ${r.first_call.median} ms, countSessions ${r.count_sessions.median}/${r.count_sessions.p95} ms, runningTasks ${r.running_tasks_ms.median}/${r.running_tasks_ms.p95} ms, census ${r.census.median}/${r.census.p95} ms (median/p95)`
    )
    for (const loaded of [r.under_load!, r.under_load_wal].filter((x) => x !== undefined)) {
      log(
        `census ${connection}${loaded.journal_mode ? ` (journal ${loaded.journal_mode})` : ''} under load (${loaded.writes_per_second} writes/s): census ${loaded.census.median}/${loaded.census.p95} ms, ${loaded.census_failed} failed; countSessions ${loaded.count_sessions.median}/${loaded.count_sessions.p95} ms, ${loaded.count_sessions_failed} failed (median/p95)`
      )
    }
  }
  return results
}
