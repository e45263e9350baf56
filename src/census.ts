/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { CENSUS_CAP, JOB_TASK_PREFIX } from './defaults.ts'
import type { Census, MaintenanceStoreContract } from './types.ts'

/**
 * Count what keeps the site from going offline: logged-in sessions (up to
 * the cap), running commands and, apart, queue jobs in flight. `countsJobs`
 * (queue workers held during maintenance) always reports the jobs, none
 * included.
 */
export async function takeCensus(
  store: Pick<MaintenanceStoreContract, 'countSessions' | 'runningTasks'>,
  now: number,
  countsJobs: boolean
): Promise<Census> {
  const [activeSessions, tasks] = await Promise.all([
    store.countSessions(now, CENSUS_CAP),
    store.runningTasks(now),
  ])
  const jobs = tasks.filter((task) => task.name.startsWith(JOB_TASK_PREFIX)).length
  const census: Census = { activeSessions, runningTasks: tasks.length - jobs }
  if (jobs > 0 || countsJobs) census.jobsInFlight = jobs
  if (activeSessions >= CENSUS_CAP) census.capped = true
  return census
}
