/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { Census, MaintenanceSchedule } from './types.ts'

function plural(count: number, word: string) {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/**
 * "5 active sessions, 1 running task", shared by the commands
 */
export function describeCensus(census: Census) {
  const sessions = census.capped
    ? `${census.activeSessions.toLocaleString('en-US')}+ active sessions`
    : plural(census.activeSessions, 'active session')
  const jobs =
    census.jobsInFlight === undefined ? '' : `, ${plural(census.jobsInFlight, 'job')} in flight`
  return `${sessions}, ${plural(census.runningTasks, 'running task')}${jobs}`
}

/**
 * What the drain still waits for
 */
export function censusTotal(census: Census) {
  return census.activeSessions + census.runningTasks + (census.jobsInFlight ?? 0)
}

/**
 * The lines of a scheduled window: when it starts (and is announced),
 * when it ends by itself. Shared by offline:on, offline:status and the
 * admin page, which writes the times its own way (`time`).
 */
export function describeSchedule(
  schedule: MaintenanceSchedule | null,
  time: (at: number) => string = (at) => new Date(at).toISOString()
) {
  if (!schedule) return []
  const lines: string[] = []
  if (schedule.startsAt !== null) {
    const how = schedule.readOnly ? 'READ-ONLY' : schedule.force ? 'OFFLINE' : 'drain'
    const announced =
      schedule.announceAt === null ? '' : `, announced from ${time(schedule.announceAt)}`
    lines.push(`Scheduled: ${how} at ${time(schedule.startsAt)}${announced}`)
  }
  if (schedule.endsAt !== null) {
    lines.push(`Back ONLINE by itself at: ${time(schedule.endsAt)}`)
  }
  return lines
}
