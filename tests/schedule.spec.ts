/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test, timeTravel } from '@japa/runner'
import edge from 'edge.js'
import { errors } from '../index.ts'
import { MaintenanceGlobal } from '../src/plugins/edge.ts'
import { parseState } from '../src/state.ts'
import { toTimestamp } from '../src/time_input.ts'
import { MAX_AHEAD } from '../src/defaults.ts'
import { parseMoment } from '../src/options.ts'
import { createManager, createStores } from './helpers.ts'
import { Client, bootSite, waitFor, waitForLockFile, waitForStatus } from './http/helpers.ts'

const MINUTE = 60_000

test.group('Scheduled windows | the state machine', () => {
  test('a window to come keeps the site ONLINE, then starts and ends on its own', async ({
    assert,
  }) => {
    const [store] = await createStores('file')
    const events: string[] = []
    const manager = await createManager(
      store,
      { refreshInterval: '50ms' },
      { emit: (name) => events.push(name) }
    )
    const now = Date.now()
    const { changed, state } = await manager.activate({
      at: now + 400,
      until: now + 1200,
      announce: MINUTE,
      message: 'Database upgrade',
    })
    assert.isTrue(changed)
    assert.equal(state.status, 'online')
    assert.deepInclude(state.schedule!, { startsAt: now + 400, endsAt: now + 1200 })
    assert.isAtLeast(state.schedule!.announceAt!, now, 'announced from now: the start is sooner')
    assert.isAtMost(state.schedule!.announceAt!, Date.now())
    assert.equal(state.message, 'Database upgrade')

    await manager.start()
    await waitFor('OFFLINE at the start', () => manager.isOffline, 3000)
    assert.isAtLeast(Date.now(), now + 400)
    assert.equal(manager.state.message, 'Database upgrade', 'the window keeps its settings')
    assert.isNull(manager.state.schedule!.startsAt, 'started')
    await waitFor('ONLINE at the end', () => manager.isOnline, 3000)
    assert.isAtLeast(Date.now(), now + 1200)
    assert.isNull(manager.state.schedule, 'nothing left of the window')
    assert.deepEqual(events, ['maintenance:offline', 'maintenance:online'])
  })

  test('time travel: announced 30 min before, started at --at, ended at --until', async ({
    assert,
  }) => {
    const [store] = await createStores('memory')
    const manager = await createManager(store)
    const global = new MaintenanceGlobal(manager, edge)
    const now = Date.now()
    await manager.activate({
      at: now + 60 * MINUTE,
      announce: 30 * MINUTE,
      until: now + 180 * MINUTE,
    })
    await manager.sync.tick()
    assert.isTrue(manager.isOnline)
    assert.isFalse(global.scheduled, 'not announced yet')
    assert.equal(global.banner().toString(), '')

    timeTravel(new Date(now + 35 * MINUTE))
    await manager.sync.tick()
    assert.isTrue(manager.isOnline)
    assert.isTrue(global.scheduled)
    assert.equal(global.countdown, '25 min 00 s')
    assert.match(global.banner().toString(), /Maintenance at \d\d:\d\d UTC\./)

    timeTravel(new Date(now + 60 * MINUTE))
    await manager.sync.tick()
    assert.isTrue(manager.isOffline, 'nobody logged in: OFFLINE at the start')
    assert.isFalse(global.scheduled)
    assert.include(global.banner().toString(), 'sm-banner--offline')

    timeTravel(new Date(now + 180 * MINUTE))
    await manager.sync.tick()
    assert.isTrue(manager.isOnline)
    assert.isNull(manager.state.schedule)
  })

  test('a window that starts with sessions logged in drains them first', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + MINUTE)
    const at = Date.now() + 1000
    await manager.activate({ at, timeout: 30_000 })
    assert.isNull(await manager.advanceSchedule(at - 1), 'not yet')

    const started = await manager.advanceSchedule(at)
    assert.equal(started!.state.status, 'pending')
    assert.deepEqual(started!.census, { activeSessions: 1, runningTasks: 0 })
    assert.approximately(started!.state.deadline!, Date.now() + 30_000, 1000)
  })

  test('READ-ONLY and forced windows start as asked', async ({ assert }) => {
    const [store, other] = await createStores('file', 2)
    await store.touchSession('s1', 1, Date.now() + MINUTE)
    const readOnly = await createManager(store)
    const at = Date.now() + 1000
    await readOnly.activate({ at, readOnly: true })
    const started = await readOnly.advanceSchedule(at)
    assert.equal(started!.state.status, 'offline')
    assert.isTrue(started!.state.readOnly)

    const [fresh] = await createStores('file')
    await fresh.touchSession('s1', 1, Date.now() + MINUTE)
    const forced = await createManager(fresh)
    await forced.activate({ at, force: true })
    const down = await forced.advanceSchedule(at)
    assert.equal(down!.state.status, 'offline')
    assert.isTrue(down!.state.forced)
    assert.isDefined(other)
  })

  test('many instances reaching the start together start it once', async ({ assert }) => {
    const stores = await createStores('file', 5)
    const managers = await Promise.all(stores.map((store) => createManager(store)))
    const at = Date.now() + 1000
    const { state } = await managers[0].activate({ at })
    await Promise.all(managers.map((manager) => manager.refresh()))
    const results = await Promise.all(managers.map((manager) => manager.advanceSchedule(at)))
    assert.equal(results.filter((result) => result?.changed).length, 1)
    assert.equal((await stores[0].read())!.revision, state.revision + 1)
  })

  test('a window whose end passed before it could start is dropped, not started', async ({
    assert,
  }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    const at = Date.now() + 1000
    await manager.activate({ at, until: at + 1000 })
    const result = await manager.advanceSchedule(at + 5000)
    assert.isTrue(result!.changed)
    assert.equal(result!.state.status, 'online')
    assert.isNull(result!.state.schedule)
  })

  test('offline:off cancels a window to come', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await manager.activate({ at: Date.now() + MINUTE })
    const { changed, state } = await manager.deactivate()
    assert.isTrue(changed)
    assert.isNull(state.schedule)
    assert.isNull(await manager.advanceSchedule(Date.now() + 2 * MINUTE))
  })

  test('--until alone: maintenance now, ONLINE again at the end', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    const until = Date.now() + MINUTE
    const { state } = await manager.activate({ until })
    assert.equal(state.status, 'offline')
    assert.equal(state.schedule!.endsAt, until)
    assert.isNull(await manager.advanceSchedule(until - 1))
    const ended = await manager.advanceSchedule(until)
    assert.equal(ended!.state.status, 'online')
  })

  test('windows in the past, ending before they start, or announced without a start are refused', async ({
    assert,
  }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    const now = Date.now()
    for (const [options, message] of [
      [{ at: now - 1000 }, /^Invalid --at: .* is not in the future$/],
      [{ at: now + MINUTE, until: now + 1000 }, /^Invalid --until: .* is not after the start/],
      [{ until: now - 1000 }, /^Invalid --until/],
      [{ announce: MINUTE }, /^--announce needs --at/],
    ] as const) {
      await assert.rejects(() => manager.activate(options), message)
    }
    assert.isNull(await store.read(), 'nothing written')

    await manager.activate({ force: true })
    await assert.rejects(
      () => manager.activate({ at: now + MINUTE }),
      'The site is already OFFLINE: run "node ace offline:off" first, or go now without --at'
    )
  })

  test('records without a schedule read as none; a damaged one is corrupt', ({ assert }) => {
    const base = { status: 'online', revision: 3, since: 1 }
    assert.isNull(parseState(JSON.stringify(base), 'x').schedule)
    assert.throws(
      () => parseState(JSON.stringify({ ...base, schedule: { startsAt: 'soon' } }), 'x'),
      /invalid schedule/
    )
  })

  test('--at and --until take ISO date-times with a zone, "in 30m", and --until a duration', ({
    assert,
  }) => {
    const from = Date.parse('2026-12-24T20:00:00Z')
    assert.equal(
      toTimestamp('2026-12-24T22:00:00Z', '--at', from),
      Date.parse('2026-12-24T22:00:00Z')
    )
    assert.equal(
      toTimestamp('2026-12-24T23:00+01:00', '--at', from),
      Date.parse('2026-12-24T22:00:00Z')
    )
    assert.equal(toTimestamp('in 30m', '--at', from), from + 30 * MINUTE)
    assert.equal(toTimestamp('2h', '--until', from, true), from + 120 * MINUTE)
    assert.throws(() => toTimestamp('2h', '--at', from), /Invalid --at "2h"/)
    assert.throws(() => toTimestamp('2026-12-24T22:00', '--at', from), /with its zone/)
    assert.throws(() => toTimestamp('tomorrow', '--until', from, true), errors.E_INVALID_OPTION)
  })
})

test.group('Scheduled windows | bounds and the calendar', () => {
  test('a moment must exist on the calendar as written, and lie at most 1 year ahead', ({
    assert,
  }) => {
    const from = Date.parse('2026-12-24T20:00:00Z')
    assert.equal(
      parseMoment('2028-02-29T10:00Z', '--at', Date.parse('2027-12-01T00:00Z')),
      Date.parse('2028-02-29T10:00Z'),
      'a leap day'
    )
    assert.equal(
      parseMoment('2027-01-01T00:30+01:00', '--at', from),
      Date.parse('2026-12-31T23:30Z'),
      'read in its own zone, it is the day written'
    )
    assert.equal(
      parseMoment('2026-12-24T21:00:59.5-0000', '--at', from),
      from + 60 * MINUTE + 59_500
    )
    for (const value of [
      '2027-02-29T10:00Z',
      '2027-02-30T10:00Z',
      '2027-04-31T10:00+02:00',
      '2027-01-01T24:00Z',
      '2027-01-01T10:60Z',
      '2027-01-01T10:00:60Z',
      '2027-13-01T10:00Z',
      '2027-01-01T10:00+25:00',
    ]) {
      assert.throws(
        () => parseMoment(value, '--at', from),
        new RegExp(`^Invalid --at "${value.replace('+', '\\+')}": no such date or time`),
        value
      )
    }
    assert.throws(
      () => parseMoment('2027-02-30T10:00Z', '--until', from),
      'Invalid --until "2027-02-30T10:00Z": no such date or time (it would read as 2027-03-02T10:00:00.000Z)'
    )
    assert.equal(parseMoment('in 1y', '--at', from), from + MAX_AHEAD.ms, '"1y" is the limit')
    assert.throws(
      () => parseMoment('in 99999999999h', '--at', from),
      'Invalid --at "in 99999999999h": at most 1 year ahead'
    )
    assert.throws(
      () => parseMoment('2028-01-01T00:00Z', '--until', from, true),
      'Invalid --until "2028-01-01T00:00Z": at most 1 year ahead'
    )
    assert.throws(() => parseMoment('9999999h', '--until', from, true), /at most 1 year ahead/)
  })

  test('the manager refuses what the admin page or the API passes past the limit, before writing', async ({
    assert,
  }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    const now = Date.now()
    const huge = 99_999_999_999 * 3_600_000
    for (const [options, message] of [
      [{ timeout: huge }, 'Invalid --timeout: at most 1 year'],
      [{ at: now + huge }, 'Invalid --at: at most 1 year ahead'],
      [
        { at: now + MINUTE, until: now + MINUTE + huge },
        'Invalid --until: at most 1 year after the start',
      ],
      [{ at: now + MINUTE, announce: huge }, 'Invalid --announce: at most 1 year'],
      [
        { force: true, retryAfter: 99_999_999_999_999 },
        'Invalid --retry "99999999999999": at most 1 year',
      ],
      [
        { force: true, retryAfter: 'Fri, 31 Dec 9999 23:59:59 GMT' },
        /^Invalid --retry ".*": at most 1 year ahead$/,
      ],
    ] as const) {
      await assert.rejects(() => manager.activate(options), message as RegExp)
    }
    assert.isNull(await store.read(), 'nothing written')

    const within = await manager.activate({
      at: now + MAX_AHEAD.ms - MINUTE,
      until: now + MAX_AHEAD.ms,
      announce: MAX_AHEAD.ms,
      timeout: MAX_AHEAD.ms,
    })
    assert.isTrue(within.changed, 'the limit itself is allowed')
  })
})

test.group('Scheduled windows | in the booted app', () => {
  test('announced, then OFFLINE at --at, then ONLINE at --until, all without a command running', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const client = new Client(server)

    /**
     * Far enough ahead that the two Ace processes below (seconds each on a
     * loaded machine) still see the site ONLINE
     */
    const schedule = await app.ace([
      'offline:on',
      '--at=in 15s',
      '--announce=10m',
      '--until=2s',
      '--message=Moving to a new database',
    ])
    assert.equal(schedule.code, 0, schedule.stderr)
    assert.include(schedule.stdout, 'Maintenance scheduled')
    assert.match(schedule.stdout, /Scheduled: drain at \d{4}-\d\d-\d\dT[\d:.]+Z, announced from /)
    assert.include(schedule.stdout, 'Back ONLINE by itself at: ')

    const status = await app.ace(['offline:status', '--json'])
    assert.equal(JSON.parse(status.stdout.trim().split('\n').at(-1)!).status, 'online')
    assert.include(status.stdout, '"schedule"')

    /**
     * The banner announces it while the site serves
     */
    await waitFor('the announcement', async () => {
      const page = await client.get('/')
      return page.status === 200 && page.body.includes('sm-banner--scheduled')
    })
    const page = await client.get('/')
    assert.match(page.body, /Maintenance at \d\d:\d\d UTC\./)
    assert.include(page.body, 'Moving to a new database')

    await waitForStatus(server, 503, '/', 20_000)
    await waitForLockFile(app, true)
    await waitForStatus(server, 200)
    const after = await client.get('/')
    assert.notInclude(after.body, 'sm-banner')
    assert.isNull((await app.store.read())!.schedule)
  }).timeout(60_000)
})
