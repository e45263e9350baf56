/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { statusLabel } from './state.ts'
import type { MaintenanceState, RawStateRecord } from './types.ts'

/**
 * The log line of a transition written, at info
 */
export function describeTransition(from: MaintenanceState, to: MaintenanceState) {
  const label = statusLabel(to)
  const by = to.requestedBy ? ` by ${to.requestedBy}` : ''
  if (to.status === 'online' && to.schedule?.startsAt) {
    const until = to.schedule.endsAt ? ` until ${new Date(to.schedule.endsAt).toISOString()}` : ''
    return `site-maintenance: maintenance scheduled${by} at ${new Date(to.schedule.startsAt).toISOString()}${until}`
  }
  if (to.status === 'online' && from.status === 'online' && from.schedule) {
    return `site-maintenance: the window scheduled at ${new Date(from.schedule.startsAt ?? from.since).toISOString()} is dropped${by}`
  }
  if (to.status === 'pending') {
    return `site-maintenance: ${statusLabel(from)} → ${label}${by}, drain deadline ${new Date(to.deadline!).toISOString()}`
  }
  if (to.status === 'offline' && from.status === 'pending' && !to.readOnly) {
    const reason =
      to.since >= (from.deadline ?? Infinity) ? 'drain deadline passed' : 'drain finished'
    return `site-maintenance: PENDING → OFFLINE (${reason})`
  }
  return `site-maintenance: ${statusLabel(from)} → ${label}${by}${to.forced ? ' (forced)' : ''}`
}

/**
 * The log line of a corrupt record replaced by `next`, at warn: what it
 * read, cut short
 */
export function describeReplacement(
  next: MaintenanceState,
  corrupt: { record: RawStateRecord; error: Error }
) {
  return `site-maintenance: replaced a corrupt state record with ${next.status.toUpperCase()}${next.requestedBy ? ` by ${next.requestedBy}` : ''}. ${corrupt.error.message}. It read: ${JSON.stringify(corrupt.record.data.slice(0, 200))}`
}
