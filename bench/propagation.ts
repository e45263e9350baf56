/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisManager } from '@adonisjs/redis'
import { LoggerFactory } from '@adonisjs/core/factories/logger'
import { MaintenanceManager } from '../src/maintenance_manager.ts'
import { DatabaseStore } from '../src/stores/database.ts'
import { FileStore } from '../src/stores/file.ts'
import { RedisStore } from '../src/stores/redis.ts'
import type { MaintenanceStoreContract } from '../src/types.ts'
import { resolveConfig } from '../support/resolve_config.ts'
import { type AppEnv, AppInstance, ace } from './lib/app.ts'
import type { Database } from '@adonisjs/lucid/database'
import {
  type BenchDatabase,
  BENCH_DATABASES,
  SQLITE_FILE,
  createDatabase,
  createTables,
  dropTables,
  tableNames,
} from './lib/databases.ts'
import { log, round, sleep, summarise } from './lib/stats.ts'
import { freePort } from '../support/free_port.ts'

/**
 * The stores, the database store once per database: `database` is the
 * database store on PostgreSQL (its name since the first runs),
 * `database_mysql` on MariaDB and `database_sqlite` on an SQLite file
 * every process opens
 */
export const PROPAGATION_STORES = [
  'file',
  'redis',
  'database',
  'database_mysql',
  'database_sqlite',
] as const
export type PropagationStore = (typeof PROPAGATION_STORES)[number]

const DATABASE_OF: Partial<Record<PropagationStore, BenchDatabase>> = {
  database: 'pg',
  database_mysql: 'mysql',
  database_sqlite: 'sqlite',
}

const INSTANCES = 4
const POLL_EVERY_MS = 5
const POLL_LIMIT_MS = 5000
const REFRESH_INTERVAL_MS = 1000

export interface PropagationResult {
  instances: number
  refresh_interval_ms: number
  /**
   * From `offline:on --force` / `offline:off`, real Ace processes, exiting
   */
  on: Timing
  off: Timing
  /**
   * From calling `manager.activate({ force: true })` /
   * `manager.deactivate()` in the bench process, on the same store (the
   * write included): never clamped, so sub-interval propagation (pub/sub)
   * shows
   */
  api_on: Timing
  api_off: Timing
  /**
   * The database store only: what the cluster, ONLINE and idle, costs the
   * database
   */
  idle?: IdleCost
}

/**
 * Queries per second an idle cluster sends to the database: counted in
 * each app process (every statement its Lucid connection sends, the
 * fixture's FIXTURE_COUNT_QUERIES listener), and, as a cross-check, on
 * the server (PostgreSQL: transactions committed in the database;
 * MariaDB: `Questions`), which also counts every other client of the
 * server: a window of the same length before the cluster started is the
 * baseline
 */
export interface IdleCost {
  database: BenchDatabase
  instances: number
  seconds: number
  /**
   * All processes together, and each process
   */
  app_queries_per_second: number
  app_queries_per_second_each: number[]
  /**
   * null on SQLite (no server)
   */
  server_per_second: number | null
  server_baseline_per_second: number | null
  server_counter: string | null
  /**
   * PostgreSQL: the listening connections open (application_name
   * site-maintenance, this database)
   */
  listening_connections: number | null
}

interface Timing {
  median: number
  max: number
  runs: number[]
}

function timing(values: number[]): Timing {
  const summary = summarise(values, 1)
  return {
    median: summary.median,
    max: summary.max,
    runs: values.map((value) => round(value, 1)),
  }
}

/**
 * Whether an instance shows the expected side: 503 (OFFLINE) or 200 on /ping
 */
async function probe(instance: AppInstance, offline: boolean) {
  try {
    const response = await fetch(instance.url('/ping'), { signal: AbortSignal.timeout(2000) })
    await response.arrayBuffer()
    return offline ? response.status === 503 : response.status === 200
  } catch {
    return false
  }
}

/**
 * Poll every instance (one request at a time each, every few ms) from now
 * until it shows the expected side; bounded in time and count
 */
function watch(instances: AppInstance[], offline: boolean) {
  const deadline = performance.now() + POLL_LIMIT_MS + 60_000
  return Promise.all(
    instances.map(async (instance) => {
      for (let attempt = 0; attempt < 20_000 && performance.now() < deadline; attempt++) {
        if (await probe(instance, offline)) return performance.now()
        await sleep(POLL_EVERY_MS)
      }
      throw new Error(`:${instance.port} never showed ${offline ? 'OFFLINE' : 'ONLINE'}`)
    })
  )
}

/**
 * Time from `offline:on --force` (a real Ace process) exiting to the last
 * instance showing OFFLINE, and from `offline:off` exiting to the last one
 * back ONLINE. Polling starts when the command is spawned; an instance
 * that switched before the command exited counts as 0.
 */
async function transition(
  instances: AppInstance[],
  offline: boolean,
  change: () => Promise<number>
) {
  const seen = watch(instances, offline)
  const changedAt = await change()
  const times = await seen
  const last = Math.max(...times)
  if (last - changedAt > POLL_LIMIT_MS) throw new Error('propagation over the poll limit')
  return Math.max(0, last - changedAt)
}

function byCommand(env: AppEnv, offline: boolean) {
  return async () => {
    const result = await ace(offline ? ['offline:on', '--force'] : ['offline:off'], env)
    if (result.code !== 0) throw new Error(`ace failed (${result.code}):\n${result.output}`)
    return result.exitedAt
  }
}

function byManager(manager: MaintenanceManager, offline: boolean) {
  return async () => {
    const calledAt = performance.now()
    await (offline ? manager.activate({ force: true }) : manager.deactivate())
    return calledAt
  }
}

async function backend(store: PropagationStore, directory: string) {
  const env: AppEnv = {
    MAINTENANCE_STORE: store.startsWith('database') ? 'database' : store,
    MAINTENANCE_DIR: join(directory, 'state'),
  }
  let cleanup = async () => {}
  let instance: MaintenanceStoreContract = new FileStore(env.MAINTENANCE_DIR)
  let db: Database | null = null
  const connection = DATABASE_OF[store]
  if (connection) {
    const prefix = `bench_maintenance_prop_${process.pid}`
    db = createDatabase(connection)
    const names = await createTables(db, connection, prefix)
    env.DB_CONNECTION = connection
    env.MAINTENANCE_TABLE_PREFIX = prefix
    /**
     * The app processes count their queries (read over IPC)
     */
    env.FIXTURE_COUNT_QUERIES = '1'
    if (connection === 'sqlite') env.SQLITE_FILE = SQLITE_FILE
    instance = new DatabaseStore(db.connection(connection), {
      stateTable: names.state,
      sessionsTable: names.sessions,
      tasksTable: names.tasks,
    })
    const opened = db
    cleanup = async () => {
      await dropTables(opened, connection, tableNames(prefix))
      await opened.manager.closeAll()
      if (connection === 'sqlite') {
        for (const suffix of ['', '-wal', '-shm', '-journal']) {
          await rm(`${SQLITE_FILE}${suffix}`, { force: true })
        }
      }
    }
  } else if (store === 'redis') {
    const prefix = `site_maintenance_bench:${process.pid}`
    env.REDIS_PREFIX = prefix
    const redis = new RedisManager(
      { connection: 'main', connections: { main: { host: '127.0.0.1', port: 6379 } } } as any,
      new LoggerFactory().create()
    )
    instance = new RedisStore(redis as any, { prefix })
    cleanup = async () => {
      const keys = await redis.connection().keys(`${prefix}:*`)
      if (keys.length) await redis.connection().del(...keys)
      await redis.quitAll()
    }
  }
  const manager = new MaintenanceManager(
    await resolveConfig(instance, { lockFile: join(directory, 'down-bench') })
  )
  return { env, cleanup, manager, db, connection }
}

/**
 * The server's own count of what its clients ran: PostgreSQL's committed
 * and rolled-back transactions in this database (one per statement
 * outside a transaction), MariaDB's `Questions` (statements sent by
 * clients). Each reading is itself one statement.
 */
async function serverCounter(db: Database, connection: BenchDatabase) {
  const client = db.connection(connection)
  if (connection === 'pg') {
    const result = await client.rawQuery(
      'select xact_commit + xact_rollback as total from pg_stat_database where datname = current_database()'
    )
    return Number(result.rows[0].total)
  }
  if (connection === 'mysql') {
    const [rows] = await client.rawQuery("SHOW GLOBAL STATUS LIKE 'Questions'")
    return Number(rows[0].Value)
  }
  return null
}

async function listeningConnections(db: Database, connection: BenchDatabase) {
  if (connection !== 'pg') return null
  const result = await db
    .connection(connection)
    .rawQuery(
      "select count(*) as total from pg_stat_activity where application_name = 'site-maintenance' and datname = current_database()"
    )
  return Number(result.rows[0].total)
}

/**
 * The server counter's rise per second over `seconds`, its own readings
 * taken out. PostgreSQL publishes a backend's counts when it goes idle,
 * at most once a second: the window is long against that lag.
 */
async function serverRate(db: Database, connection: BenchDatabase, seconds: number) {
  const before = await serverCounter(db, connection)
  await sleep(seconds * 1000)
  const after = await serverCounter(db, connection)
  if (before === null || after === null) return null
  return round((after - before - 1) / seconds, 2)
}

/**
 * What the cluster, ONLINE with no request coming in, costs the database
 * over `seconds`
 */
async function idleCost(
  instances: AppInstance[],
  db: Database,
  connection: BenchDatabase,
  seconds: number,
  baseline: number | null
): Promise<IdleCost> {
  /**
   * Past the start-up reads and the first poll
   */
  await sleep(2000)
  const before = await Promise.all(instances.map((instance) => instance.counters()))
  const serverBefore = await serverCounter(db, connection)
  const started = performance.now()
  await sleep(seconds * 1000)
  const after = await Promise.all(instances.map((instance) => instance.counters()))
  const serverAfter = await serverCounter(db, connection)
  const elapsed = (performance.now() - started) / 1000
  const each = after.map((counters, index) => (counters.queries - before[index].queries) / elapsed)
  return {
    database: connection,
    instances: instances.length,
    seconds: round(elapsed, 1),
    app_queries_per_second: round(
      each.reduce((sum, value) => sum + value, 0),
      2
    ),
    app_queries_per_second_each: each.map((value) => round(value, 2)),
    server_per_second:
      serverBefore === null || serverAfter === null
        ? null
        : round((serverAfter - serverBefore - 1) / elapsed, 2),
    server_baseline_per_second: baseline,
    server_counter:
      connection === 'pg'
        ? 'pg_stat_database xact_commit + xact_rollback'
        : connection === 'mysql'
          ? 'Questions'
          : null,
    listening_connections: await listeningConnections(db, connection),
  }
}

export async function propagationOn(
  store: PropagationStore,
  repeats: number,
  idleSeconds: number
): Promise<PropagationResult> {
  const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-bench-'))
  const { env, cleanup, manager, db, connection } = await backend(store, directory)
  const instances: AppInstance[] = []
  try {
    /**
     * The server's count before the cluster starts: what other clients
     * send meanwhile
     */
    let baseline: number | null = null
    if (db && connection && connection !== 'sqlite') {
      log(`propagation ${store}: ${idleSeconds} s of the server's baseline, no app running`)
      baseline = await serverRate(db, connection, idleSeconds)
    }
    for (let index = 0; index < INSTANCES; index++) {
      instances.push(
        new AppInstance(
          await freePort(),
          {
            ...env,
            /**
             * One lock file and static page per instance, as on separate hosts
             */
            MAINTENANCE_LOCK_FILE: join(directory, `down-${index}`),
            MAINTENANCE_STATIC_PAGE: join(directory, `page-${index}.html`),
          },
          undefined,
          db !== null
        )
      )
    }
    await Promise.all(instances.map((instance) => instance.ready()))
    let idle: IdleCost | undefined
    if (db && connection) {
      log(`propagation ${store}: ${idleSeconds} s of the idle cluster's queries`)
      idle = await idleCost(instances, db, connection, idleSeconds, baseline)
      log(
        `propagation ${store}: idle cluster ${idle.app_queries_per_second} queries/s counted in the apps (${idle.app_queries_per_second_each.join(', ')}), server ${idle.server_per_second ?? '-'}/s against ${idle.server_baseline_per_second ?? '-'}/s before`
      )
    }
    const commandEnv = {
      ...env,
      MAINTENANCE_LOCK_FILE: join(directory, 'down-ace'),
      MAINTENANCE_STATIC_PAGE: join(directory, 'page-ace.html'),
    }

    const runs = {
      on: [] as number[],
      off: [] as number[],
      apiOn: [] as number[],
      apiOff: [] as number[],
    }
    /**
     * A random pause between transitions, so they do not fall in step
     * with the instances' refresh interval
     */
    const pause = () => sleep(100 + Math.random() * 900)
    for (let run = 0; run < repeats; run++) {
      runs.on.push(await transition(instances, true, byCommand(commandEnv, true)))
      await pause()
      runs.off.push(await transition(instances, false, byCommand(commandEnv, false)))
      await pause()
      runs.apiOn.push(await transition(instances, true, byManager(manager, true)))
      await pause()
      runs.apiOff.push(await transition(instances, false, byManager(manager, false)))
      await pause()
      log(
        `propagation ${store} run ${run + 1}/${repeats}: command on ${round(runs.on.at(-1)!, 1)} ms, off ${round(runs.off.at(-1)!, 1)} ms; api on ${round(runs.apiOn.at(-1)!, 1)} ms, off ${round(runs.apiOff.at(-1)!, 1)} ms`
      )
    }
    return {
      instances: INSTANCES,
      refresh_interval_ms: REFRESH_INTERVAL_MS,
      on: timing(runs.on),
      off: timing(runs.off),
      api_on: timing(runs.apiOn),
      api_off: timing(runs.apiOff),
      ...(idle ? { idle } : {}),
    }
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()))
    await manager.stop().catch(() => {})
    await cleanup().catch(() => {})
    await rm(directory, { recursive: true, force: true })
  }
}

/**
 * `databases`: the databases the database store runs on (all by default)
 */
export async function benchPropagation(
  quick: boolean,
  databases: readonly BenchDatabase[] = BENCH_DATABASES
) {
  const results: Partial<Record<PropagationStore, PropagationResult>> = {}
  for (const store of PROPAGATION_STORES) {
    const connection = DATABASE_OF[store]
    if (connection && !databases.includes(connection)) continue
    results[store] = await propagationOn(store, quick ? 3 : 10, quick ? 5 : 20)
    const r = results[store]!
    log(
      `propagation ${store}: on ${r.on.median}/${r.on.max} ms, off ${r.off.median}/${r.off.max} ms (median/max)`
    )
  }
  return results
}
