/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppFactory } from '@adonisjs/core/factories/app'
import { LoggerFactory } from '@adonisjs/core/factories/logger'
import { EmitterFactory } from '@adonisjs/core/factories/events'
import { Database } from '@adonisjs/lucid/database'

export const BENCH_DATABASES = ['pg', 'mysql', 'sqlite'] as const
export type BenchDatabase = (typeof BENCH_DATABASES)[number]

export const SQLITE_FILE = join(tmpdir(), `site-maintenance-bench-${process.pid}.sqlite3`)

/**
 * The local services bin/setup.ts brings up (loopback only)
 */
export const connections = {
  sqlite: {
    client: 'better-sqlite3' as const,
    connection: { filename: SQLITE_FILE },
    useNullAsDefault: true,
  },
  pg: {
    client: 'pg' as const,
    connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' },
  },
  mysql: {
    client: 'mysql2' as const,
    connection: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' },
  },
}

export function createDatabase(name: BenchDatabase) {
  const app = new AppFactory().create(new URL('../../tmp/', import.meta.url), () => {})
  const logger = new LoggerFactory().create()
  const emitter = new EmitterFactory().create(app)
  return new Database({ connection: name, connections }, logger, emitter)
}

export interface TableNames {
  state: string
  sessions: string
  tasks: string
}

export function tableNames(prefix: string): TableNames {
  return { state: `${prefix}_state`, sessions: `${prefix}_sessions`, tasks: `${prefix}_tasks` }
}

export async function dropTables(db: Database, connection: BenchDatabase, names: TableNames) {
  /**
   * A fresh schema builder per statement: one builder accumulates them
   */
  const schema = () => db.connection(connection).schema
  await schema().dropTableIfExists(names.state)
  await schema().dropTableIfExists(names.sessions)
  await schema().dropTableIfExists(names.tasks)
}

/**
 * The tables exactly as stubs/make/migration/maintenance_state.stub creates them
 */
export async function createTables(db: Database, connection: BenchDatabase, prefix: string) {
  const names = tableNames(prefix)
  await dropTables(db, connection, names)
  const schema = () => db.connection(connection).schema
  await schema().createTable(names.state, (table) => {
    table.integer('id').primary()
    table.integer('revision').notNullable()
    table.text('data').notNullable()
    table.bigInteger('updated_at').notNullable()
  })
  await schema().createTable(names.sessions, (table) => {
    table.string('session_key', 64).primary()
    table.string('user_id', 255).nullable()
    table.bigInteger('expires_at').notNullable().index()
  })
  await schema().createTable(names.tasks, (table) => {
    table.string('id', 64).primary()
    table.string('name', 255).notNullable()
    table.integer('pid').notNullable()
    table.string('host', 255).notNullable()
    table.string('status', 16).notNullable()
    table.bigInteger('started_at').notNullable()
    table.bigInteger('heartbeat_at').notNullable()
    table.bigInteger('expires_at').notNullable()
    table.bigInteger('finished_at').nullable()
    table.index(['status', 'expires_at'])
  })
  return names
}
