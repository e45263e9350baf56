/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { TaskRecord } from '../types.ts'

/**
 * A row of the database store's tasks table: snake_case columns, times as
 * BIGINT epoch milliseconds (strings from some drivers)
 */
export interface TaskRow {
  id: string
  name: string
  pid: number | string
  host: string
  status: TaskRecord['status']
  started_at: number | string
  heartbeat_at: number | string
  expires_at: number | string
  finished_at: number | string | null
}

/**
 * The row a task is written as
 */
export function taskRow(task: TaskRecord): TaskRow {
  return {
    id: task.id,
    name: task.name,
    pid: task.pid,
    host: task.host,
    status: task.status,
    started_at: task.startedAt,
    heartbeat_at: task.heartbeatAt,
    expires_at: task.expiresAt,
    finished_at: task.finishedAt,
  }
}

/**
 * The task a row holds, its numbers read back as numbers
 */
export function taskRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    name: row.name,
    pid: Number(row.pid),
    host: row.host,
    status: row.status,
    startedAt: Number(row.started_at),
    heartbeatAt: Number(row.heartbeat_at),
    expiresAt: Number(row.expires_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  }
}
