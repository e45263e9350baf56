/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { errors } from '../index.ts'
import { describeCensus } from '../src/census_line.ts'
import type { MaintenanceEvent } from '../src/types.ts'
import { createManager, createStores, makeTempDir } from './helpers.ts'

function recorder() {
  const events: { name: string; data: MaintenanceEvent }[] = []
  return { events, emit: (name: string, data: MaintenanceEvent) => events.push({ name, data }) }
}

async function waitUntil(check: () => boolean | Promise<boolean>, timeout = 5000) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeout) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Date.now() - started
}

test.group('MaintenanceManager | transitions', () => {
  test('activate goes OFFLINE at once when nothing is running', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    const { changed, state, census } = await manager.activate({ message: 'Upgrade' })
    assert.isTrue(changed)
    assert.equal(state.status, 'offline')
    assert.deepEqual(census, { activeSessions: 0, runningTasks: 0 })
    assert.isTrue(manager.isOffline)
    assert.equal(manager.state.message, 'Upgrade')
  })

  test('activate goes PENDING with the deadline while sessions are active', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + 60_000)
    const before = Date.now()
    const { state } = await manager.activate({ timeout: 30_000 })
    assert.equal(state.status, 'pending')
    assert.isAtLeast(state.deadline!, before + 30_000)
    assert.isAtMost(state.deadline!, Date.now() + 30_000)
    assert.equal(state.drainStartedAt, state.since)
  })

  test('the default deadline is the session idle age', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store, { sessionIdleAge: '42s' })
    await store.touchSession('s1', 1, Date.now() + 60_000)
    const { state } = await manager.activate()
    assert.closeTo(state.deadline! - state.since, 42_000, 5)
  })

  test('settle promotes PENDING once the drain ends, and only then', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + 60_000)
    await manager.activate()

    const first = await manager.settle()
    assert.equal(first.state.status, 'pending')
    assert.deepEqual(first.census, { activeSessions: 1, runningTasks: 0 })

    await store.dropSession('s1')
    const second = await manager.settle()
    assert.equal(second.state.status, 'offline')
    assert.isFalse(second.state.forced)
  })

  test('settle promotes PENDING when the deadline passes, sessions or not', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + 60_000)
    await manager.activate({ timeout: 100 })
    await new Promise((resolve) => setTimeout(resolve, 150))
    const { state } = await manager.settle()
    assert.equal(state.status, 'offline')
  })

  test('offline:on while PENDING keeps the drain; --force ends it', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + 60_000)
    const first = await manager.activate({ message: 'first' })
    const again = await manager.activate({ message: 'second' })
    assert.isFalse(again.changed)
    assert.equal(again.state.revision, first.state.revision)

    const forced = await manager.activate({ force: true })
    assert.equal(forced.state.status, 'offline')
    assert.equal(forced.state.message, 'first', 'settings of the drain are kept')
    assert.equal(forced.state.drainStartedAt, first.state.drainStartedAt)
  })

  test('deactivate returns to ONLINE from PENDING and OFFLINE', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + 60_000)
    await manager.activate()
    const fromPending = await manager.deactivate()
    assert.equal(fromPending.state.status, 'online')
    await manager.activate({ force: true })
    const fromOffline = await manager.deactivate()
    assert.equal(fromOffline.state.status, 'online')
    const again = await manager.deactivate()
    assert.isFalse(again.changed)
  })

  test('the state record keeps the last 20 transitions: who, when, and why a drain ended', async ({
    assert,
  }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + 60_000)
    await manager.activate({ requestedBy: 'ada' })
    await manager.activate({ requestedBy: 'ada', message: 'no-op while PENDING' })
    await store.dropSession('s1')
    await manager.settle()
    await manager.activate({ readOnly: true, requestedBy: 'bob' })
    const { state } = await manager.deactivate({ requestedBy: 'carol' })
    assert.deepEqual(
      state.history!.map(({ from, to, by }) => `${from} → ${to} by ${by}`),
      [
        'ONLINE → PENDING by ada',
        'PENDING → OFFLINE by drain finished',
        'OFFLINE → READ-ONLY by bob',
        'READ-ONLY → ONLINE by carol',
      ]
    )
    assert.equal(state.history!.at(-1)!.at, state.since)
    assert.deepEqual((await store.read())!.history, state.history, 'stored with the state')

    for (let round = 0; round < 12; round++) {
      await manager.activate({ force: true, requestedBy: `round ${round}` })
      await manager.deactivate({ requestedBy: `round ${round}` })
    }
    const history = manager.state.history!
    assert.lengthOf(history, 20)
    assert.deepEqual(history.at(-1), {
      from: 'OFFLINE',
      to: 'ONLINE',
      at: manager.state.since,
      by: 'round 11',
    })
    assert.equal(history[0].by, 'round 2', 'the oldest ones are dropped')
  })

  test('a record without history still reads; a malformed history is a corrupt record', async ({
    assert,
  }) => {
    const { parseState } = await import('../src/state.ts')
    const old = { status: 'offline', revision: 3, since: 1, deadline: null }
    assert.isUndefined(parseState(JSON.stringify(old), 'old').history)
    assert.throws(
      () => parseState(JSON.stringify({ ...old, history: [{ from: 'ONLINE' }] }), 'bad'),
      /invalid history/
    )
  })

  test('the secret is stored as a hash only', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await manager.activate({ force: true, secret: 'let-me-in-please' })
    const raw = await readFile(join((store as any).directory, 'state.json'), 'utf8')
    assert.notInclude(raw, 'let-me-in-please')
    assert.match(manager.state.secretHash!, /^[0-9a-f]{64}$/)
  })

  test('the hash is keyed with the secret key (APP_KEY by default): a leaked record is no oracle', async ({
    assert,
  }) => {
    const secret = 'let-me-in-please'
    const hashes: string[] = []
    for (const secretKey of [
      'first-app-key-of-32-characters!!',
      'second-app-key-of-32-characters!',
    ]) {
      const [store] = await createStores('memory')
      const manager = await createManager(store, { secretKey })
      await manager.activate({ force: true, secret })
      hashes.push(manager.state.secretHash!)
    }
    assert.notEqual(hashes[0], hashes[1], 'another key, another hash')
    assert.notInclude(
      hashes,
      createHash('sha256').update(secret).digest('hex'),
      'not a bare SHA-256'
    )
  })

  test('allow entries are validated and normalised', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await assert.rejects(
      () => manager.activate({ allow: ['10.0.0.0/8', 'nope'] }),
      'Invalid --allow value "nope". Use an IP address or a CIDR range such as 203.0.113.0/24 or 2001:db8::/32'
    )
    assert.isNull(await store.read())
    await manager.activate({ force: true, allow: ['10.0.0.0/8', '2001:DB8::/32', ' 127.0.0.1 '] })
    assert.deepEqual(manager.state.allow, ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'])
  })

  test('retry accepts seconds or an HTTP date', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await manager.activate({ force: true, retryAfter: '2026-12-01T10:00:00Z' })
    assert.equal(manager.state.retryAfter, 'Tue, 01 Dec 2026 10:00:00 GMT')
    await manager.deactivate()
    await assert.rejects(() => manager.activate({ retryAfter: 'tomorrow-ish' }))
    await manager.activate({ force: true, retryAfter: 90 })
    assert.equal(manager.state.retryAfter, 90)
  })
})

test.group('MaintenanceManager | census', () => {
  test('counts up to the cap and says "10,000+" beyond it', async ({ assert }) => {
    const [store] = await createStores('memory')
    const manager = await createManager(store)
    const now = Date.now()
    for (let index = 0; index < 9_999; index++) {
      await store.touchSession(`s${index}`, index, now + 60_000)
    }
    const below = await manager.census(now)
    assert.deepEqual(below, { activeSessions: 9_999, runningTasks: 0 })
    assert.equal(describeCensus(below), '9999 active sessions, 0 running tasks')

    await store.touchSession('one-more', 1, now + 60_000)
    await store.touchSession('and-another', 2, now + 60_000)
    const capped = await manager.census(now)
    assert.deepEqual(capped, { activeSessions: 10_000, runningTasks: 0, capped: true })
    assert.equal(describeCensus(capped), '10,000+ active sessions, 0 running tasks')
  })
})

test.group('MaintenanceManager | events, log and lock file', () => {
  test('every transition emits its event once', async ({ assert }) => {
    const [store] = await createStores('file')
    const emitter = recorder()
    const manager = await createManager(store, {}, emitter)
    await manager.refresh()
    await store.touchSession('s1', 1, Date.now() + 60_000)
    await manager.activate()
    await store.dropSession('s1')
    await manager.settle()
    await manager.deactivate()
    assert.deepEqual(
      emitter.events.map((event) => `${event.data.previous}->${event.name}`),
      ['online->maintenance:pending', 'pending->maintenance:offline', 'offline->maintenance:online']
    )
  })

  test('the lock file exists exactly while OFFLINE', async ({ assert }) => {
    const [store] = await createStores('file')
    const lockFile = join(await makeTempDir(), 'nested', 'down')
    const manager = await createManager(store, { lockFile })
    await store.touchSession('s1', 1, Date.now() + 60_000)
    await manager.activate()
    assert.isFalse(existsSync(lockFile), 'absent while PENDING')
    await manager.activate({ force: true })
    assert.isTrue(existsSync(lockFile))
    assert.containsSubset(JSON.parse(await readFile(lockFile, 'utf8')), { retryAfter: 60 })
    await manager.deactivate()
    assert.isFalse(existsSync(lockFile))
  })

  test('the static page is written on the transition to OFFLINE', async ({ assert }) => {
    const [store] = await createStores('file')
    const staticPage = join(await makeTempDir(), 'public', 'maintenance', 'index.html')
    const manager = await createManager(store, { staticPage })
    await manager.activate({ force: true, message: 'Moving to <new> servers' })
    const html = await readFile(staticPage, 'utf8')
    assert.include(html, 'Moving to &lt;new&gt; servers')
    assert.include(html, '<meta name="robots" content="noindex">')
  })

  test('a corrupt state keeps the last known state in the refresh loop', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await manager.activate({ force: true })
    await manager.start()
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join((store as any).directory, 'state.json'), 'not json')
    await waitUntil(() => manager.lastError !== null)
    assert.instanceOf(manager.lastError, errors.E_CORRUPT_STATE)
    assert.equal(manager.status, 'offline', 'never falls back to ONLINE')
    await assert.rejects(() => manager.refresh(), /is corrupt/)
  })
})

test.group('MaintenanceManager | several instances', () => {
  test('{$self}: an app instance promotes the drain without any command running')
    .with(['file', 'pg', 'redis'] as const)
    .run(async ({ assert }, name) => {
      const [commandStore, appStore] = await createStores(name, 2)
      const command = await createManager(commandStore)
      const emitter = recorder()
      const app = await createManager(appStore, { refreshInterval: '50ms' }, emitter)
      await app.start()

      await commandStore.touchSession('s1', 1, Date.now() + 60_000)
      await command.activate()
      await waitUntil(() => app.isPending)

      await commandStore.dropSession('s1')
      await waitUntil(() => app.isOffline)
      assert.equal((await commandStore.read())!.status, 'offline')
      assert.deepEqual(
        emitter.events.map((event) => event.name),
        ['maintenance:pending', 'maintenance:offline']
      )
    })

  test('{$self}: many instances racing settle() promote once')
    .with(['file', 'sqlite', 'pg', 'mysql', 'redis'] as const)
    .run(async ({ assert }, name) => {
      const stores = await createStores(name, 6)
      const managers = await Promise.all(stores.map((store) => createManager(store)))
      await stores[0].touchSession('s1', 1, Date.now() + 60_000)
      const { state } = await managers[0].activate()
      await stores[0].dropSession('s1')
      const results = await Promise.all(managers.map((manager) => manager.settle()))
      for (const result of results) assert.equal(result.state.status, 'offline')
      assert.equal((await stores[0].read())!.revision, state.revision + 1)
    })

  test('redis: other instances learn of a change through pub/sub, before the poll', async ({
    assert,
  }) => {
    const [writerStore, readerStore] = await createStores('redis', 2)
    const writer = await createManager(writerStore)
    const reader = await createManager(readerStore, { refreshInterval: '1m' })
    await reader.start()
    await writer.activate({ force: true })
    const elapsed = await waitUntil(() => reader.isOffline, 2000)
    assert.isBelow(elapsed, 2000)
    await writer.deactivate()
    await waitUntil(() => reader.isOnline, 2000)
  })

  test('file: other processes on the host learn of a change by watching, before the poll', async ({
    assert,
  }) => {
    const [writerStore, readerStore] = await createStores('file', 2)
    const writer = await createManager(writerStore)
    const reader = await createManager(readerStore, { refreshInterval: '1m' })
    await reader.start()
    await writer.activate({ force: true })
    const elapsed = await waitUntil(() => reader.isOffline, 2000)
    assert.isBelow(elapsed, 2000)
    await writer.deactivate()
    await waitUntil(() => reader.isOnline, 2000)
  })
  test('a slow read that ends after a newer one never brings the older state back', async ({
    assert,
  }) => {
    const [writerStore, readerStore] = await createStores('file', 2)
    const lockFile = join(await makeTempDir(), 'down')
    const writer = await createManager(writerStore)
    const reader = await createManager(readerStore, { lockFile })
    await writer.activate({ force: true })
    await reader.refresh()
    assert.isTrue(existsSync(lockFile))

    /**
     * A poll reads OFFLINE and is held up; offline:off lands, a watch
     * event reads ONLINE and applies it; then the poll finishes
     */
    const read = readerStore.read.bind(readerStore)
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    readerStore.read = async () => {
      const state = await read()
      await held
      return state
    }
    const slowPoll = reader.refresh()
    await new Promise((resolve) => setTimeout(resolve, 20))
    readerStore.read = read
    await writer.deactivate()
    await reader.refresh()
    assert.isTrue(reader.isOnline)
    release()
    await slowPoll

    assert.isTrue(reader.isOnline, 'the older read was dropped')
    assert.isFalse(existsSync(lockFile), 'and left the lock file alone')
  })
})

test.group('MaintenanceManager | presence', () => {
  test('touchSession writes at most once per interval, stores only a hash', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store, { presenceInterval: '1m' })
    assert.isTrue(await manager.touchSession('raw-session-id', 7))
    assert.isFalse(await manager.touchSession('raw-session-id', 7))
    assert.equal(await store.countSessions(Date.now()), 1)
    const { readdir } = await import('node:fs/promises')
    const names = await readdir(join((store as any).directory, 'sessions'))
    assert.notInclude(names.join(','), 'raw-session-id')
    await manager.dropSession('raw-session-id')
    assert.equal(await store.countSessions(Date.now()), 0)
  })

  test('a logout wins over the presence write of its login still in flight', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store, { presenceInterval: '1m' })
    const touched = manager.touchSession('raw-session-id', 7)
    await manager.dropSession('raw-session-id')
    assert.isTrue(await touched)
    assert.equal(await store.countSessions(Date.now()), 0)
  })

  test('a request of a logged-out session still in flight does not record it again', async ({
    assert,
  }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store, { presenceInterval: '1m' })
    await manager.dropSession('raw-session-id')
    assert.isFalse(await manager.touchSession('raw-session-id', 7))
    assert.equal(await store.countSessions(Date.now()), 0)
  })
})
