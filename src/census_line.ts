/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { Census } from './types.ts'

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
