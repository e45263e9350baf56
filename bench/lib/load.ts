/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createRequire } from 'node:module'

/**
 * autocannon ships no types; the part used here
 */
interface AutocannonResult {
  'duration': number
  'errors': number
  'timeouts': number
  'non2xx': number
  '2xx': number
  'statusCodeStats': Record<string, { count: number }>
  'latency': { p50: number; p99: number; average: number }
  'requests': { total: number; average: number }
}

const autocannon = createRequire(import.meta.url)('autocannon') as (
  options: Record<string, unknown>
) => Promise<AutocannonResult>

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  total: number
  statuses: Record<string, number>
  errors: number
}

/**
 * One load round on loopback: `seconds` long, or `amount` requests
 */
export async function load(options: {
  url: string
  connections: number
  seconds?: number
  amount?: number
  headers?: Record<string, string>
}): Promise<LoadResult> {
  const started = performance.now()
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds ?? 60,
    amount: options.amount,
    headers: options.headers ?? {},
    timeout: 10,
  })
  const elapsed = (performance.now() - started) / 1000
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, stat]) => [code, stat.count])
  )
  const total = Object.values(statuses).reduce((sum, count) => sum + count, 0)
  return {
    rps: total / (options.amount ? elapsed : result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total,
    statuses,
    errors: result.errors + result.timeouts,
  }
}
