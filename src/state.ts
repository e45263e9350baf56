/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import * as errors from './errors.ts'
import type { MaintenanceState, MaintenanceTransition } from './types.ts'

const STATUSES = new Set(['online', 'pending', 'offline'])

/**
 * The state of a site that never went offline
 */
export function initialState(): MaintenanceState {
  return {
    status: 'online',
    revision: 0,
    since: 0,
    drainStartedAt: null,
    deadline: null,
    message: null,
    retryAfter: null,
    redirect: null,
    forced: false,
    requestedBy: null,
    secretHash: null,
    secretNonce: null,
    allow: [],
    readOnly: false,
    schedule: null,
  }
}

/**
 * How commands and logs name a state: ONLINE, PENDING, OFFLINE or
 * READ-ONLY (an OFFLINE state that lets reads through)
 */
export function statusLabel(state: Pick<MaintenanceState, 'status' | 'readOnly'>): string {
  return state.status === 'offline' && state.readOnly ? 'READ-ONLY' : state.status.toUpperCase()
}

/**
 * Parse and validate a serialised state. Anything unexpected is an
 * E_CORRUPT_STATE: a damaged record must never read as ONLINE.
 */
export function parseState(contents: string, where: string): MaintenanceState {
  let value: any
  try {
    value = JSON.parse(contents)
  } catch (error) {
    throw new errors.E_CORRUPT_STATE([where, (error as Error).message])
  }
  const problem = checkState(value)
  if (problem) throw new errors.E_CORRUPT_STATE([where, problem])
  return { ...initialState(), ...value }
}

function checkState(value: any): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not an object'
  if (!STATUSES.has(value.status)) return `unknown status ${JSON.stringify(value.status)}`
  if (!Number.isInteger(value.revision) || value.revision < 1) return 'invalid revision'
  if (typeof value.since !== 'number') return 'invalid since'
  if (
    value.deadline !== null &&
    value.deadline !== undefined &&
    typeof value.deadline !== 'number'
  ) {
    return 'invalid deadline'
  }
  if (value.allow !== undefined && !Array.isArray(value.allow)) return 'invalid allow list'
  if (value.readOnly !== undefined && typeof value.readOnly !== 'boolean') return 'invalid readOnly'
  if (value.readOnly === true && value.status !== 'offline') {
    return `readOnly with status ${JSON.stringify(value.status)}`
  }
  if (value.messages !== undefined && !isMessages(value.messages)) return 'invalid messages'
  if (value.schedule !== undefined && value.schedule !== null) {
    const problem = checkSchedule(value.schedule)
    if (problem) return `invalid schedule (${problem})`
  }
  if (value.history !== undefined && !isHistory(value.history)) return 'invalid history'
  return null
}

function isHistory(history: any): boolean {
  return (
    Array.isArray(history) &&
    history.every(
      (entry) =>
        entry !== null &&
        typeof entry === 'object' &&
        typeof entry.from === 'string' &&
        typeof entry.to === 'string' &&
        Number.isFinite(entry.at) &&
        (entry.by === null || typeof entry.by === 'string')
    )
  )
}

/**
 * How many transitions the state record keeps
 */
export const HISTORY_LENGTH = 20

/**
 * The history `next` carries: `current`'s, plus an entry when the status
 * changes. A drain that ends keeps the requester of PENDING, so its entry
 * says why it ended instead.
 */
export function historyAfter(
  current: MaintenanceState,
  next: MaintenanceState
): MaintenanceTransition[] | undefined {
  const from = statusLabel(current)
  const to = statusLabel(next)
  if (from === to) return current.history
  const drained = current.status === 'pending' && to === 'OFFLINE' && !next.forced
  const by = drained
    ? next.since >= (current.deadline ?? Infinity)
      ? 'drain deadline passed'
      : 'drain finished'
    : next.requestedBy
  return [...(current.history ?? []), { from, to, at: next.since, by }].slice(-HISTORY_LENGTH)
}

function isMessages(messages: any): boolean {
  if (!messages || typeof messages !== 'object' || Array.isArray(messages)) return false
  return Object.values(messages).every((message) => typeof message === 'string')
}

function checkSchedule(schedule: any): string | null {
  if (typeof schedule !== 'object' || Array.isArray(schedule)) return 'not an object'
  for (const key of ['startsAt', 'announceAt', 'endsAt']) {
    if (schedule[key] !== null && !Number.isFinite(schedule[key])) return key
  }
  if (typeof schedule.force !== 'boolean' || typeof schedule.readOnly !== 'boolean') return 'flags'
  if (!Number.isFinite(schedule.timeout) || schedule.timeout < 0) return 'timeout'
  return null
}

/**
 * Whether the banner announces a scheduled window at `now`
 */
export function isAnnounced(state: Pick<MaintenanceState, 'status' | 'schedule'>, now: number) {
  const schedule = state.schedule
  return (
    state.status === 'online' &&
    schedule !== null &&
    schedule.startsAt !== null &&
    schedule.announceAt !== null &&
    now >= schedule.announceAt
  )
}
