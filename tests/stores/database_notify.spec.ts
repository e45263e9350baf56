/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import type { Database } from '@adonisjs/lucid/database'
import type { DatabaseStore } from '../../src/stores/database.ts'
import { notifyChannel } from '../../src/stores/pg_listener.ts'
import { DATABASES, createDatabase, createManager, createStores } from '../helpers.ts'

/**
 * Far below the reader's 1 minute poll, with room for a loaded test
 * machine (typical: a few ms on PostgreSQL, under 200 ms elsewhere; the
 * propagation benchmark measures it)
 */
const FAST_MS = 1000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitUntil(check: () => boolean | Promise<boolean>, timeout = 5000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeout) throw new Error('condition not met in time')
    await sleep(10)
  }
  return Date.now() - started
}

/**
 * The backend pids of the connections LISTENing for this store's changes
 */
async function listenerPids(db: Database, store: DatabaseStore): Promise<number[]> {
  const result = await db
    .connection('pg')
    .rawQuery(
      `select pid from pg_stat_activity where application_name = 'site-maintenance' and query = ?`,
      [`LISTEN "${notifyChannel(store.stateTable)}"`]
    )
  return result.rows.map((row: { pid: number }) => row.pid)
}

/**
 * Wait until exactly `count` connections listen, and return their pids
 */
async function waitForListeners(db: Database, store: DatabaseStore, count: number) {
  let pids: number[] = []
  await waitUntil(async () => {
    pids = await listenerPids(db, store)
    return pids.length === count
  })
  return pids
}

test.group('Database store | change propagation', () => {
  test('{$self}: another process learns of a change before the poll')
    .with([...DATABASES])
    .run(async ({ assert }, name) => {
      const [writerStore, readerStore] = await createStores(name, 2)
      const writer = await createManager(writerStore)
      const reader = await createManager(readerStore, { refreshInterval: '1m' })
      await reader.start()
      await writer.activate({ force: true })
      assert.isBelow(await waitUntil(() => reader.isOffline, 3000), FAST_MS)
      await writer.deactivate()
      assert.isBelow(await waitUntil(() => reader.isOnline, 3000), FAST_MS)
      await writer.activate({ force: true })
      assert.isBelow(await waitUntil(() => reader.isOffline, 3000), FAST_MS)
    })

  test('pg: a lost listening connection comes back, and a change made meanwhile is not missed', async ({
    assert,
  }) => {
    const [writerStore, readerStore] = (await createStores('pg', 2)) as DatabaseStore[]
    const db = createDatabase('pg')
    const writer = await createManager(writerStore)
    const reader = await createManager(readerStore, { refreshInterval: '1m' })
    await reader.start()
    const [first] = await waitForListeners(db, readerStore, 1)

    /**
     * Kill its backend, and write while it is gone
     */
    await db.connection('pg').rawQuery('select pg_terminate_backend(?)', [first])
    await waitUntil(async () => {
      const pids = await listenerPids(db, readerStore)
      return !pids.includes(first)
    })
    await writer.activate({ force: true })
    await waitUntil(() => reader.isOffline, 3000)

    /**
     * A new connection listens, and changes arrive at once again
     */
    const [second] = await waitForListeners(db, readerStore, 1)
    assert.notEqual(second, first)
    await writer.deactivate()
    assert.isBelow(await waitUntil(() => reader.isOnline, 3000), FAST_MS)

    /**
     * Stopping the manager ends the listening connection
     */
    await reader.stop()
    await waitForListeners(db, readerStore, 0)
  })
})

test.group('Database store | PostgreSQL channel', () => {
  test('named after the state table, a plain identifier of at most 63 bytes', ({ assert }) => {
    assert.equal(notifyChannel('maintenance_state'), 'site_maintenance_maintenance_state')
    assert.equal(notifyChannel('App."State"'), 'site_maintenance_app__state_')
    const long = notifyChannel(`${'x'.repeat(80)}_state`)
    assert.lengthOf(long, 63)
    assert.match(long, /^site_maintenance_x+_[0-9a-f]{10}$/)
    assert.notEqual(long, notifyChannel(`${'x'.repeat(80)}_other`))
  })
})
