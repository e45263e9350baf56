/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getActiveTest } from '@japa/runner'
import { IgnitorFactory } from '@adonisjs/core/factories'
import { LoggerFactory } from '@adonisjs/core/factories/logger'
import { type Database } from '@adonisjs/lucid/database'
import { RedisManager } from '@adonisjs/redis'
import {
  type DatabaseName,
  connectionsFor,
  createTables as createStoreTables,
  dropTables,
  openDatabase,
} from '../support/database.ts'
import { defineConfig, stores } from '../index.ts'
import { MaintenanceManager } from '../src/maintenance_manager.ts'
import { FileStore } from '../src/stores/file.ts'
import { DatabaseStore } from '../src/stores/database.ts'
import { RedisStore } from '../src/stores/redis.ts'
import { MemoryStore, MemoryBackend } from '../src/stores/memory.ts'
import type { MaintenanceStoreContract } from '../src/types.ts'
import { type ConfigOptions, resolveConfig } from '../support/resolve_config.ts'

export const BASE_URL = new URL('../tmp/', import.meta.url)

/**
 * The databases every run covers. PostgreSQL and MariaDB must be up:
 * `npm test` starts them (bin/setup.ts); a test never skips silently.
 */
export const DATABASES = ['sqlite', 'pg', 'mysql'] as const satisfies readonly DatabaseName[]
export type { DatabaseName }

export const connections = connectionsFor(join(tmpdir(), `site-maintenance-${process.pid}.sqlite3`))

/**
 * A temporary directory removed after the test
 */
export async function makeTempDir(prefix = 'site-maintenance-') {
  const directory = await mkdtemp(join(tmpdir(), prefix))
  getActiveTest()?.cleanup(() => rm(directory, { recursive: true, force: true }))
  return directory
}

/**
 * A Lucid database with one connection, closed after the test
 */
export function createDatabase(name: DatabaseName) {
  const db = openDatabase(name, connections)
  getActiveTest()?.cleanup(() => db.manager.closeAll())
  return db
}

/**
 * The tables of the database store, as the migration stub creates them,
 * dropped after the test
 */
export async function createTables(db: Database, connection: DatabaseName, prefix = 'maintenance') {
  const names = await createStoreTables(db, connection, prefix)
  getActiveTest()?.cleanup(() => dropTables(db, connection, names))
  return names
}

/**
 * A Redis manager on the local server, keys under a unique prefix
 * removed after the test
 */
export function createRedis() {
  const redis = new RedisManager(
    { connection: 'main', connections: { main: { host: '127.0.0.1', port: 6379 } } } as any,
    new LoggerFactory().create()
  )
  const prefix = `site_maintenance_test:${process.pid}:${Math.random().toString(36).slice(2)}`
  getActiveTest()?.cleanup(async () => {
    const keys = await redis.connection().keys(`${prefix}:*`)
    if (keys.length) await redis.connection().del(...keys)
    await redis.quitAll()
  })
  return { redis, prefix }
}

export type StoreName = 'file' | DatabaseName | 'redis'
export const STORES: StoreName[] = ['file', ...DATABASES, 'redis']

/**
 * The stores of the contract tests: those above and the memory store,
 * which lives in one process and so has no place in the tests that run
 * Ace as its own process
 */
export type ContractStoreName = StoreName | 'memory'
export const CONTRACT_STORES: ContractStoreName[] = [...STORES, 'memory']

/**
 * A store of each kind, sharing one backend for `count` instances (as
 * several app servers would)
 */
export async function createStores(
  name: ContractStoreName,
  count = 1
): Promise<MaintenanceStoreContract[]> {
  if (name === 'memory') {
    const backend = new MemoryBackend()
    return Array.from({ length: count }, () => new MemoryStore(backend))
  }
  if (name === 'file') {
    const directory = await makeTempDir()
    return Array.from({ length: count }, () => new FileStore(directory))
  }
  if (name === 'redis') {
    const { redis, prefix } = createRedis()
    return Array.from({ length: count }, () => new RedisStore(redis as any, { prefix }))
  }
  const db = createDatabase(name)
  /**
   * Tables of this process only, so two runs on one server never collide
   */
  const tables = await createTables(db, name, `maintenance_${process.pid}`)
  return Array.from(
    { length: count },
    () =>
      new DatabaseStore(db.connection(name), {
        stateTable: tables.state,
        sessionsTable: tables.sessions,
        tasksTable: tables.tasks,
      })
  )
}

/**
 * The config `defineConfig` resolves over one store, with a short refresh
 * interval for tests
 */
export function testConfig(store: MaintenanceStoreContract, overrides: ConfigOptions = {}) {
  return resolveConfig(store, { refreshInterval: '100ms', ...overrides })
}

/**
 * A manager over a store, stopped after the test
 */
export async function createManager(
  store: MaintenanceStoreContract,
  overrides: ConfigOptions = {},
  emitter?: { emit: (event: any, data: any) => any }
) {
  const manager = new MaintenanceManager(await testConfig(store, overrides), emitter as any)
  getActiveTest()?.cleanup(() => manager.stop())
  return manager
}

/**
 * A booted web app (IgnitorFactory) with the core config plus `config`,
 * the given providers and, unless turned off, the core providers. The
 * caller terminates it when the test needs that.
 */
export async function bootApp(options: {
  config: Record<string, unknown>
  providers?: (() => Promise<any>)[]
  coreProviders?: boolean
  root?: URL
}) {
  let factory = new IgnitorFactory()
    .merge({ rcFileContents: { providers: options.providers ?? [] } })
    .withCoreConfig()
  if (options.coreProviders !== false) factory = factory.withCoreProviders()
  const app = factory
    .merge({ config: options.config })
    .create(options.root ?? BASE_URL, { importer: (path) => import(path) })
    .createApp('web')
  await app.init()
  await app.boot()
  return app
}

/**
 * A booted web app with Edge and this package's provider, on a file store
 * in `stateDirectory`, no lock file or static page, its state loaded
 */
export async function bootEdgeApp(options: {
  root: string
  stateDirectory: string
  message?: string
  retryAfter?: number
}) {
  const app = await bootApp({
    providers: [
      () => import('@adonisjs/core/providers/edge_provider'),
      () => import('../providers/maintenance_provider.ts'),
    ],
    config: {
      maintenance: defineConfig({
        default: 'file',
        stores: { file: stores.file({ directory: options.stateDirectory }) },
        lockFile: false,
        staticPage: false,
        message: options.message,
        retryAfter: options.retryAfter,
      }),
    },
    root: new URL(`file://${options.root}/`),
  })
  const manager = await app.container.make('maintenance.manager')
  await manager.refresh()
  return { app, manager }
}

/**
 * A booted app with the core config plus `config`, terminated after the test
 */
export async function createApp(config: Record<string, unknown>) {
  const app = await bootApp({ config, coreProviders: false })
  getActiveTest()?.cleanup(() => app.terminate())
  return app
}

/**
 * The exit code of a child process and everything it wrote, stdout and
 * stderr interleaved as they came
 */
export function outputOf(child: ChildProcess) {
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output }))
  )
}
