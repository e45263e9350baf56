/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { validateActivateOptions } from '../src/options.ts'
import { initialState } from '../src/state.ts'
import { describeTransition } from '../src/transition_log.ts'
import {
  backOnline,
  enteredState,
  entryFrom,
  scheduleDue,
  scheduleStep,
  startedWindow,
} from '../src/transitions.ts'
import type { MaintenanceState } from '../src/types.ts'
import { windowSchedule, windowSettings } from '../src/window.ts'

const NOW = Date.UTC(2026, 0, 1, 12)
const MINUTE = 60_000
const drain = { force: false, readOnly: false, timeout: 10 * MINUTE }
const busy = { activeSessions: 2, runningTasks: 0 }
const idle = { activeSessions: 0, runningTasks: 0 }

function state(overrides: Partial<MaintenanceState> = {}): MaintenanceState {
  return { ...initialState(), ...overrides }
}

test.group('Transition rules | entering a window', () => {
  test('what entering takes from each state', ({ assert }) => {
    const online = state()
    const pending = state({ status: 'pending' })
    const offline = state({ status: 'offline' })
    const readOnly = state({ status: 'offline', readOnly: true })
    const ro = { ...drain, readOnly: true }
    const forced = { ...drain, force: true }

    assert.equal(entryFrom(online, false, drain), 'census')
    assert.equal(entryFrom(pending, false, drain), 'unchanged', 'offline:on keeps the drain')
    assert.equal(entryFrom(pending, false, forced), 'census', '--force ends it')
    assert.equal(entryFrom(offline, false, forced), 'unchanged')
    assert.equal(entryFrom(offline, true, drain), 'census', 'a corrupt record is replaced')
    assert.equal(entryFrom(readOnly, false, drain), 'at-once', 'READ-ONLY → OFFLINE: no drain')
    assert.equal(entryFrom(readOnly, false, ro), 'unchanged')
    assert.equal(entryFrom(pending, false, ro), 'at-once')
  })

  test('PENDING while the census counts, OFFLINE when forced or drained', ({ assert }) => {
    assert.deepEqual(enteredState(state(), drain, busy, NOW), {
      status: 'pending',
      since: NOW,
      drainStartedAt: NOW,
      deadline: NOW + 10 * MINUTE,
      forced: false,
      readOnly: false,
    })
    assert.equal(enteredState(state(), drain, idle, NOW).status, 'offline')
    const forced = enteredState(state(), { ...drain, force: true }, busy, NOW)
    assert.include(forced, { status: 'offline', forced: true, deadline: null })
  })

  test('READ-ONLY at once; a drain under way keeps its start', ({ assert }) => {
    const readOnly = enteredState(state(), { ...drain, readOnly: true, force: true }, null, NOW)
    assert.include(readOnly, { status: 'offline', readOnly: true, forced: false })
    assert.isNull(readOnly.drainStartedAt)

    const pending = state({ status: 'pending', drainStartedAt: NOW - MINUTE })
    const promoted = enteredState(pending, { ...drain, force: true }, busy, NOW)
    assert.equal(promoted.drainStartedAt, NOW - MINUTE)
  })
})

test.group('Transition rules | scheduled windows', () => {
  const window = {
    startsAt: NOW + MINUTE,
    announceAt: null,
    endsAt: NOW + 2 * MINUTE,
    force: false,
    readOnly: false,
    timeout: MINUTE,
  }

  test('due at its start, and at its end', ({ assert }) => {
    const scheduled = state({ schedule: window })
    assert.isFalse(scheduleDue(state(), NOW))
    assert.isFalse(scheduleDue(scheduled, NOW))
    assert.isTrue(scheduleDue(scheduled, NOW + MINUTE))
    const started = state({ status: 'offline', schedule: { ...window, startsAt: null } })
    assert.isFalse(scheduleDue(started, NOW + MINUTE))
    assert.isTrue(scheduleDue(started, NOW + 2 * MINUTE))
  })

  test('starts, ends, or drops a window whose end passed before it started', ({ assert }) => {
    assert.isNull(scheduleStep(state({ schedule: window }), NOW))
    assert.deepEqual(scheduleStep(state({ schedule: window }), NOW + MINUTE), { starts: window })

    const started = state({ status: 'offline', schedule: { ...window, startsAt: null } })
    const end = scheduleStep(started, NOW + 2 * MINUTE)
    assert.deepEqual(end, {
      ends: backOnline(NOW + 2 * MINUTE, 'the schedule (until 2026-01-01T12:02:00.000Z)'),
    })
    const dropped = scheduleStep(state({ schedule: window }), NOW + 3 * MINUTE)
    assert.equal(dropped && 'ends' in dropped && dropped.ends.status, 'online')
  })

  test('a started window keeps only its end', ({ assert }) => {
    const current = state({ schedule: window, message: 'Upgrade' })
    const entered = enteredState(current, window, idle, NOW + MINUTE)
    const next = startedWindow(current, entered, window)
    assert.include(next, {
      status: 'offline',
      message: 'Upgrade',
      requestedBy: 'the schedule (at 2026-01-01T12:01:00.000Z)',
    })
    assert.deepEqual(next.schedule, { ...window, startsAt: null, announceAt: null })
  })

  test('back ONLINE is the initial state, since now, by whom asked', ({ assert }) => {
    assert.deepEqual(backOnline(NOW, 'ops'), { ...initialState(), since: NOW, requestedBy: 'ops' })
  })
})

test.group('Transition rules | window settings', () => {
  const config = { drainTimeout: null, sessionIdleAge: 2 * MINUTE }

  test('one schedule literal for a window to come and one that starts now', ({ assert }) => {
    const later = validateActivateOptions(
      { at: NOW + MINUTE, announce: MINUTE / 2, until: NOW + 2 * MINUTE },
      config,
      NOW
    )
    assert.deepEqual(windowSchedule(later, { force: true, readOnly: false }), {
      startsAt: NOW + MINUTE,
      announceAt: NOW + MINUTE / 2,
      endsAt: NOW + 2 * MINUTE,
      force: true,
      readOnly: false,
      timeout: 2 * MINUTE,
    })
    const now = validateActivateOptions({ until: NOW + MINUTE }, config, NOW)
    assert.include(windowSchedule(now, { force: false, readOnly: true }), {
      startsAt: null,
      announceAt: null,
      endsAt: NOW + MINUTE,
    })
  })

  test('given options win, the window continued fills the rest', ({ assert }) => {
    const keep = state({
      status: 'pending',
      message: 'Old',
      messages: { fr: 'Ancien' },
      retryAfter: 60,
      secretHash: 'kept-hash',
      secretNonce: 'kept-nonce',
      allow: ['10.0.0.1'],
    })
    const kept = windowSettings(
      { requestedBy: 'ops' },
      validateActivateOptions({}, config),
      keep,
      'k'
    )
    assert.include(kept, {
      message: 'Old',
      retryAfter: 60,
      secretHash: 'kept-hash',
      requestedBy: 'ops',
    })
    assert.deepEqual(kept.messages, { fr: 'Ancien' })
    assert.deepEqual(kept.allow, ['10.0.0.1'])
    assert.equal(kept.status, 'online', 'the status is for the transition to set')

    const options = { message: 'New', secret: 'a-secret-of-16-chars' }
    const fresh = windowSettings(options, validateActivateOptions(options, config), keep, 'k')
    assert.equal(fresh.message, 'New')
    assert.notEqual(fresh.secretHash, 'kept-hash')
    assert.notInclude(JSON.stringify(fresh), 'a-secret-of-16-chars', 'stored as a hash only')
    assert.match(fresh.secretNonce!, /^[0-9a-f]{32}$/)
    assert.isUndefined(windowSettings({}, validateActivateOptions({}, config), null, null).messages)
  })
})

test.group('Transition rules | log wording', () => {
  test('each kind of transition has its line', ({ assert }) => {
    const online = state()
    const pending = state({ status: 'pending', deadline: NOW + MINUTE, requestedBy: 'ops' })
    assert.equal(
      describeTransition(online, pending),
      'site-maintenance: ONLINE → PENDING by ops, drain deadline 2026-01-01T12:01:00.000Z'
    )
    assert.equal(
      describeTransition(pending, { ...pending, status: 'offline', since: NOW + MINUTE }),
      'site-maintenance: PENDING → OFFLINE (drain deadline passed)'
    )
    assert.equal(
      describeTransition(pending, { ...pending, status: 'offline', since: NOW }),
      'site-maintenance: PENDING → OFFLINE (drain finished)'
    )
    assert.equal(
      describeTransition(online, state({ status: 'offline', readOnly: true, requestedBy: 'ops' })),
      'site-maintenance: ONLINE → READ-ONLY by ops'
    )
    const scheduled = state({
      requestedBy: 'ops',
      schedule: {
        startsAt: NOW,
        announceAt: null,
        endsAt: null,
        force: true,
        readOnly: false,
        timeout: 0,
      },
    })
    assert.equal(
      describeTransition(online, scheduled),
      'site-maintenance: maintenance scheduled by ops at 2026-01-01T12:00:00.000Z'
    )
    assert.equal(
      describeTransition(scheduled, backOnline(NOW, 'ops')),
      'site-maintenance: the window scheduled at 2026-01-01T12:00:00.000Z is dropped by ops'
    )
  })
})
