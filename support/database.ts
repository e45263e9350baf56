/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { AppFactory } from '@adonisjs/core/factories/app'
import { EmitterFactory } from '@adonisjs/core/factories/events'
import { LoggerFactory } from '@adonisjs/core/factories/logger'
import { Database } from '@adonisjs/lucid/database'
import { Scrypt } from '@adonisjs/core/hash/drivers/scrypt'

/**
 * The local database servers and the database store's tables, shared by
 * the tests and the benchmarks (no test-runner import here, so bench/ can
 * use it too)
 */
export type DatabaseName = 'sqlite' | 'pg' | 'mysql'

/**
 * The connections bin/setup.ts brings up (loopback only), with SQLite in
 * the given file
 */
export function connectionsFor(sqliteFile: string) {
  return {
    sqlite: {
      client: 'better-sqlite3' as const,
      connection: { filename: sqliteFile },
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
}

/**
 * A Lucid database over these connections, `connection` the default one
 */
export function openDatabase(
  connection: DatabaseName,
  connections: ReturnType<typeof connectionsFor>
) {
  const app = new AppFactory().create(new URL('../tmp/', import.meta.url), () => {})
  return new Database(
    { connection, connections },
    new LoggerFactory().create(),
    new EmitterFactory().create(app)
  )
}

/**
 * A Lucid database on one SQLite file
 */
export function openSqlite(filename: string) {
  return openDatabase('sqlite', connectionsFor(filename))
}

export interface TableNames {
  state: string
  sessions: string
  tasks: string
}

export function tableNames(prefix: string): TableNames {
  return { state: `${prefix}_state`, sessions: `${prefix}_sessions`, tasks: `${prefix}_tasks` }
}

export async function dropTables(db: Database, connection: DatabaseName, names: TableNames) {
  /**
   * A fresh schema builder per statement: one builder accumulates them
   */
  const schema = () => db.connection(connection).schema
  await schema().dropTableIfExists(names.state)
  await schema().dropTableIfExists(names.sessions)
  await schema().dropTableIfExists(names.tasks)
}

/**
 * The tables exactly as stubs/make/migration/maintenance_state.stub
 * creates them, dropped first if left by an earlier run
 */
export async function createTables(db: Database, connection: DatabaseName, prefix: string) {
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

/**
 * The seeded user of the fixture app (tests/fixtures/app)
 */
export const USER = { email: 'ada@example.com', password: 'correct horse battery staple' }

/**
 * A second user of the fixture app's database
 */
export const OTHER_USER = { email: 'bob@example.com', password: 'battery staple horse correct' }

/**
 * The users and sessions tables of the fixture app, on its SQLite file,
 * with two users (passwords hashed with scrypt, as config/hash.ts does).
 * A schema builder accumulates statements, hence one per table.
 */
export async function prepareDatabase(filename: string) {
  const db = openSqlite(filename)
  try {
    await db.connection().schema.createTable('users', (table) => {
      table.increments('id')
      table.string('email', 254).notNullable().unique()
      table.string('password').notNullable()
    })
    await db.connection().schema.createTable('sessions', (table) => {
      table.string('id').primary()
      table.text('data').notNullable()
      table.string('user_id').nullable().index()
      table.timestamp('expires_at').notNullable().index()
    })
    const scrypt = new Scrypt({
      cost: 16384,
      blockSize: 8,
      parallelization: 1,
      maxMemory: 33554432,
    })
    for (const user of [USER, OTHER_USER]) {
      await db
        .table('users')
        .insert({ email: user.email, password: await scrypt.make(user.password) })
    }
  } finally {
    await db.manager.closeAll()
  }
}
