/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { censusTotal } from './census_line.ts'
import { initialState } from './state.ts'
import type { Census, MaintenanceSchedule, MaintenanceState, MaintenanceStatus } from './types.ts'

/**
 * The transition rules, without I/O: how a window is entered, how a
 * scheduled window starts and ends, what ONLINE again is. The manager
 * reads, counts and writes; these say what to write.
 */

/**
 * How a window goes down: forced (no drain), READ-ONLY, or a drain of
 * `timeout` milliseconds
 */
export interface Entry {
  force: boolean
  readOnly: boolean
  timeout: number
}

/**
 * The part of the state that entering a window decides
 */
export type EnteredState = Pick<
  MaintenanceState,
  'status' | 'since' | 'drainStartedAt' | 'deadline' | 'forced' | 'readOnly'
>

/**
 * What entering a window from `current` takes: nothing when `current` is
 * that already ("unchanged"), a census when the status depends on the
 * drain ("census"), nothing to count when it goes at once ("at-once")
 */
export function entryFrom(
  current: MaintenanceState,
  corrupt: boolean,
  how: Entry
): 'unchanged' | 'census' | 'at-once' {
  if (how.readOnly) return !corrupt && current.readOnly ? 'unchanged' : 'at-once'
  /**
   * READ-ONLY → OFFLINE goes without a drain: nobody can save anything
   * already, and a drain would give logged-in sessions their writes back
   */
  if (current.readOnly) return 'at-once'
  if (!corrupt && current.status === 'offline') return 'unchanged'
  if (current.status === 'pending' && !how.force) return 'unchanged'
  return 'census'
}

/**
 * The status a window enters from `current` at `now`: PENDING while the
 * census counts sessions or tasks (OFFLINE when forced or drained), and
 * OFFLINE or READ-ONLY at once when nothing was counted. A drain already
 * under way keeps its start.
 */
export function enteredState(
  current: MaintenanceState,
  how: Entry,
  census: Census | null,
  now: number
): EnteredState {
  const status: MaintenanceStatus =
    census !== null && !how.force && censusTotal(census) > 0 ? 'pending' : 'offline'
  const continued = current.status === 'online' ? null : current
  return {
    status,
    since: now,
    drainStartedAt: continued?.drainStartedAt ?? (how.readOnly ? null : now),
    deadline: status === 'pending' ? now + how.timeout : null,
    forced: !how.readOnly && how.force,
    readOnly: how.readOnly,
  }
}

/**
 * The ONLINE state the site comes back to, at `now`
 */
export function backOnline(now: number, requestedBy: string): MaintenanceState {
  return { ...initialState(), since: now, requestedBy }
}

/**
 * Whether the window in `state` is due to start or to end at `now`
 */
export function scheduleDue(state: MaintenanceState, now: number): boolean {
  const schedule = state.schedule
  if (!schedule) return false
  return (
    (state.status === 'online' && schedule.startsAt !== null && now >= schedule.startsAt) ||
    (schedule.endsAt !== null && now >= schedule.endsAt)
  )
}

/**
 * The step the window of `current` takes at `now`: it ends (ONLINE again),
 * it starts (entered as its schedule says), or nothing. A window whose end
 * passed before it could start is dropped, never started: a forgotten
 * window locks nobody out.
 */
export function scheduleStep(
  current: MaintenanceState,
  now: number
): { ends: MaintenanceState } | { starts: MaintenanceSchedule & { startsAt: number } } | null {
  const window = current.schedule
  if (!window) return null
  const ended = window.endsAt !== null && now >= window.endsAt
  if (ended && (current.status !== 'online' || window.startsAt !== null)) {
    return {
      ends: backOnline(now, `the schedule (until ${new Date(window.endsAt!).toISOString()})`),
    }
  }
  if (current.status !== 'online' || window.startsAt === null || now < window.startsAt) {
    return null
  }
  return { starts: { ...window, startsAt: window.startsAt } }
}

/**
 * The state of a scheduled window once started: entered as its schedule
 * says, which then only keeps its end
 */
export function startedWindow(
  current: MaintenanceState,
  entered: EnteredState,
  window: MaintenanceSchedule & { startsAt: number }
): MaintenanceState {
  return {
    ...current,
    ...entered,
    requestedBy: `the schedule (at ${new Date(window.startsAt).toISOString()})`,
    schedule: { ...window, startsAt: null, announceAt: null },
  }
}
