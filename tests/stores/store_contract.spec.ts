/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import * as errors from '../../src/errors.ts'
import { initialState } from '../../src/state.ts'
import type { MaintenanceState, TaskRecord } from '../../src/types.ts'
import { CONTRACT_STORES, createStores } from '../helpers.ts'

function stateAt(
  revision: number,
  status: MaintenanceState['status'] = 'offline'
): MaintenanceState {
  return { ...initialState(), status, revision, since: Date.now() }
}

function task(id: string, expiresAt: number): TaskRecord {
  const now = Date.now()
  return {
    id,
    name: `task:${id}`,
    pid: process.pid,
    host: 'test',
    startedAt: now,
    heartbeatAt: now,
    expiresAt,
    finishedAt: null,
    status: 'running',
  }
}

/**
 * Every store passes the same contract, against its real backend
 */
test.group('Store contract', () => {
  test('{$self} store: reads null before the first write')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const [store] = await createStores(name)
      assert.isNull(await store.read())
    })

  test('{$self} store: compare-and-set writes once per revision')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const [store] = await createStores(name)
      assert.isTrue(await store.compareAndSet(stateAt(1), 0))
      assert.isFalse(await store.compareAndSet(stateAt(1, 'pending'), 0))
      assert.equal((await store.read())!.status, 'offline')
      assert.isTrue(await store.compareAndSet(stateAt(2, 'online'), 1))
      assert.isFalse(await store.compareAndSet(stateAt(3, 'pending'), 1))
      const state = await store.read()
      assert.equal(state!.status, 'online')
      assert.equal(state!.revision, 2)
    })

  test('{$self} store: only one of many racing writers wins a revision')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const stores = await createStores(name, 8)
      const results = await Promise.all(
        stores.map((store, index) =>
          store.compareAndSet({ ...stateAt(1), message: `writer ${index}` }, 0)
        )
      )
      assert.equal(results.filter(Boolean).length, 1)
      const winner = results.indexOf(true)
      assert.equal((await stores[0].read())!.message, `writer ${winner}`)
    })

  test('{$self} store: a corrupt record is replaced once, only while it is the same record')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const stores = await createStores(name, 4)
      const [store] = stores
      const bogus = { ...stateAt(3), status: 'bogus' } as unknown as MaintenanceState
      assert.isTrue(await store.compareAndSet(bogus, 0))
      await assert.rejects(() => store.read(), errors.E_CORRUPT_STATE as any)

      const record = (await store.readRaw!())!
      assert.include(record.data, '"bogus"')
      assert.equal(record.revision, 3, 'the revision is still known')
      const other = { ...record, data: record.data.replace('bogus', 'bogux') }
      assert.isFalse(await store.replaceCorrupt!(stateAt(4, 'online'), other))

      const results = await Promise.all(
        stores.map((each, index) =>
          each.replaceCorrupt!({ ...stateAt(4, 'online'), message: `writer ${index}` }, record)
        )
      )
      assert.equal(results.filter(Boolean).length, 1, 'one writer replaces it')
      const state = (await store.read())!
      assert.equal(state.status, 'online')
      assert.equal(state.revision, 4)
      assert.equal(state.message, `writer ${results.indexOf(true)}`)
      assert.isFalse(
        await store.replaceCorrupt!(stateAt(5), record),
        'a valid record is never replaced as corrupt'
      )
      assert.isTrue(await store.compareAndSet(stateAt(5), 4), 'revisions go on from there')
    })

  test('{$self} store: counts live sessions, forgets dropped and expired ones')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const [store] = await createStores(name)
      const now = Date.now()
      await store.touchSession('a', 1, now + 60_000)
      await store.touchSession('b', 2, now + 60_000)
      await store.touchSession('c', null, now - 1)
      assert.equal(await store.countSessions(now), 2)
      await store.touchSession('a', 1, now + 120_000)
      assert.equal(await store.countSessions(now), 2)
      await store.dropSession('b')
      assert.equal(await store.countSessions(now), 1)
      assert.equal(await store.countSessions(now + 121_000), 0)
    })

  test('{$self} store: a capped count stops at the cap, and is exact below it')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const [store] = await createStores(name)
      const now = Date.now()
      for (let index = 0; index < 12; index++) {
        await store.touchSession(`s${index}`, index, now + 60_000)
      }
      await store.touchSession('expired', 99, now - 1)
      assert.equal(await store.countSessions(now, 10), 10)
      assert.equal(await store.countSessions(now, 12), 12)
      assert.equal(await store.countSessions(now, 50), 12)
      assert.equal(await store.countSessions(now), 12)
    })

  test('{$self} store: a logout is remembered until its date, uncounted, and survives the sweep')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const [store] = await createStores(name)
      const now = Date.now()
      await store.touchSession('a', 1, now + 60_000)
      await store.touchSession('b', 2, now + 60_000)
      await store.touchSession('old', 3, now - 120_000)
      await store.dropSession('a', now + 30_000)
      await store.dropSession('gone', now - 1)
      assert.deepEqual(await store.loggedOutSessions(now), ['a'])
      assert.equal(await store.countSessions(now), 1, 'a logout is not a session')
      /**
       * The database store sweeps expired rows after its first count, in
       * the background
       */
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.deepEqual(await store.loggedOutSessions(now), ['a'], 'counting keeps reminders')
      assert.deepEqual(await store.loggedOutSessions(now + 31_000), [])
    })

  test('{$self} store: running tasks exclude finished and stale ones')
    .with(CONTRACT_STORES)
    .run(async ({ assert }, name) => {
      const [store] = await createStores(name)
      const now = Date.now()
      await store.registerTask(task('t1', now + 10_000))
      await store.registerTask(task('t2', now + 10_000))
      await store.registerTask(task('t3', now + 10_000))
      const ids = (tasks: TaskRecord[]) => tasks.map((t) => t.id).sort()
      assert.deepEqual(ids(await store.runningTasks(now)), ['t1', 't2', 't3'])

      await store.finishTask('t1', 'finished', now)
      await store.finishTask('t2', 'failed', now)
      assert.deepEqual(ids(await store.runningTasks(now)), ['t3'])

      assert.lengthOf(await store.runningTasks(now + 20_000), 0, 'stale after its timeout')
      await store.heartbeatTask('t3', now + 15_000, now + 25_000)
      const [alive] = await store.runningTasks(now + 20_000)
      assert.equal(alive.id, 't3')
      assert.equal(alive.heartbeatAt, now + 15_000)
      assert.equal(alive.name, 'task:t3')
    })
})
