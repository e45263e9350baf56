/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { initialState } from '../../src/state.ts'
import {
  betterSqlite3Version,
  betterSqlite3Warning,
} from '../../src/stores/better_sqlite3_check.ts'
import { DatabaseStore } from '../../src/stores/database.ts'
import type { MaintenanceState } from '../../src/types.ts'
import { createDatabase, createStores, createTables, makeTempDir } from '../helpers.ts'
import { openSqlite } from '../../support/database.ts'

function stateAt(revision: number, status: MaintenanceState['status']): MaintenanceState {
  return { ...initialState(), status, revision, since: Date.now() }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitFor(check: () => boolean, timeout = 3000) {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeout) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/**
 * Two stores on one SQLite file through separate connections, as two app
 * processes have, each counting the queries its connection runs
 */
async function twoSqliteStores() {
  const db = createDatabase('sqlite')
  const tables = await createTables(db, 'sqlite', `maintenance_cache_${process.pid}`)
  const file = db.manager.get('sqlite')!.config.connection as { filename: string }
  const other = openSqlite(file.filename)
  const stores = [db, other].map((database) => {
    const client = database.connection('sqlite')
    const counted = { queries: 0 }
    client.getWriteClient().on('query', () => counted.queries++)
    const store = new DatabaseStore(client, {
      stateTable: tables.state,
      sessionsTable: tables.sessions,
      tasksTable: tables.tasks,
    })
    return Object.assign(counted, { store })
  })
  return { stores, close: () => other.manager.closeAll() }
}

test.group('Database store on SQLite', () => {
  test('warns once when the database file is not in WAL mode, and not in WAL', async ({
    assert,
    cleanup,
  }) => {
    const directory = await makeTempDir()
    const warnings: string[] = []
    const logger = { warn: (message: string) => warnings.push(message) }
    const open = async (name: string, wal: boolean) => {
      const db = openSqlite(join(directory, name))
      cleanup(() => db.manager.closeAll())
      const client = db.connection('sqlite')
      if (wal) await client.rawQuery('PRAGMA journal_mode = WAL')
      const store = new DatabaseStore(client, {}, { logger })
      cleanup(() => store.close())
      return store
    }

    const rollback = await open('rollback.sqlite3', false)
    await rollback.subscribe(() => {})
    assert.lengthOf(warnings, 1)
    assert.match(warnings[0], /rollback\.sqlite3 uses the "delete" journal.*WAL/)
    const again = await open('rollback.sqlite3', false)
    await again.subscribe(() => {})
    assert.lengthOf(warnings, 1, 'once per process and file')

    const wal = await open('wal.sqlite3', true)
    await wal.subscribe(() => {})
    assert.lengthOf(warnings, 1, 'quiet in WAL mode')
  })

  test('an unchanged database file answers from the cache, without a query', async ({
    assert,
    cleanup,
  }) => {
    const { stores, close } = await twoSqliteStores()
    cleanup(close)
    const [a] = stores
    assert.isNull(await a.store.read())
    await sleep(150)
    assert.isNull(await a.store.read())
    const before = a.queries
    for (let i = 0; i < 10; i++) assert.isNull(await a.store.read())
    assert.equal(a.queries, before)
  })

  test('a write through another connection is seen by the next read', async ({
    assert,
    cleanup,
  }) => {
    const { stores, close } = await twoSqliteStores()
    cleanup(close)
    const [a, b] = stores
    for (let revision = 1; revision <= 10; revision++) {
      await sleep(revision % 2 ? 150 : 0)
      await a.store.read()
      await sleep(revision % 3 ? 150 : 0)
      await a.store.read()
      const status = revision % 2 ? 'offline' : 'online'
      assert.isTrue(await b.store.compareAndSet(stateAt(revision, status), revision - 1))
      const seen = await a.store.read()
      assert.equal(seen?.revision, revision)
      assert.equal(seen?.status, status)
    }
  })

  test('its own write invalidates the cache; a lost compare-and-set reads afresh', async ({
    assert,
    cleanup,
  }) => {
    const { stores, close } = await twoSqliteStores()
    cleanup(close)
    const [a, b] = stores
    assert.isTrue(await a.store.compareAndSet(stateAt(1, 'offline'), 0))
    const mine = await a.store.read()
    assert.equal(mine?.revision, 1)
    await sleep(150)
    await a.store.read()
    assert.isTrue(await b.store.compareAndSet(stateAt(2, 'online'), 1))
    assert.isFalse(await a.store.compareAndSet(stateAt(2, 'pending'), 1))
    const theirs = await a.store.read()
    assert.equal(theirs?.status, 'online')
  })

  test('a subscribed store queries nothing while the files are unchanged, and calls back once on a write', async ({
    assert,
    cleanup,
  }) => {
    const { stores, close } = await twoSqliteStores()
    cleanup(close)
    const [a, b] = stores
    let calls = 0
    await a.store.read()
    await a.store.subscribe(() => calls++)
    cleanup(() => a.store.close())
    await sleep(400)
    const before = a.queries
    await sleep(600)
    assert.equal(a.queries, before, 'no query over four checks of unchanged files')
    assert.equal(calls, 0)

    assert.isTrue(await b.store.compareAndSet(stateAt(1, 'offline'), 0))
    await waitFor(() => calls === 1)
    await sleep(600)
    assert.equal(calls, 1, 'the same revision is news once')
  })
})

test.group('Database store on MySQL', () => {
  test('a subscribed store calls back once per revision, not for its own writes', async ({
    assert,
  }) => {
    const [a, b] = await createStores('mysql', 2)
    let calls = 0
    await a.read()
    await a.subscribe!(() => calls++)
    await sleep(500)
    assert.equal(calls, 0)
    assert.isTrue(await b.compareAndSet(stateAt(1, 'offline'), 0))
    await waitFor(() => calls === 1)
    assert.isTrue(await a.compareAndSet(stateAt(2, 'online'), 1))
    await sleep(500)
    assert.equal(calls, 1)
    await a.close()
  })
})

test.group('Database store: better-sqlite3 version', () => {
  test('reads the version the app root resolves', async ({ assert }) => {
    assert.match(betterSqlite3Version(process.cwd())!, /^\d+\.\d+\.\d+/)
    assert.isNull(betterSqlite3Warning(process.cwd()))
  })

  test('warns below 13, and stays quiet when it is not installed', async ({ assert }) => {
    const root = await makeTempDir()
    assert.isNull(betterSqlite3Version(root))
    assert.isNull(betterSqlite3Warning(root))
    const pkg = join(root, 'node_modules', 'better-sqlite3')
    await mkdir(join(pkg, 'lib'), { recursive: true })
    await writeFile(join(pkg, 'lib', 'index.js'), 'module.exports = {}\n')
    await writeFile(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'better-sqlite3', version: '12.11.1', main: 'lib/index.js' })
    )
    assert.equal(betterSqlite3Version(new URL(`file://${root}/`)), '12.11.1')
    assert.match(betterSqlite3Warning(root)!, /better-sqlite3 12\.11\.1 .* >= 13/)
  })
})
