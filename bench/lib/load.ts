/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'
import { onCpu } from './cpu.ts'
import { round } from './stats.ts'

const run = promisify(execFile)

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
  tool: 'wrk' | 'autocannon'
  rps: number
  p50: number
  p99: number
  total: number
  /**
   * Answers outside 2xx (wrk: outside 2xx and 3xx)
   */
  non2xx: number
  errors: number
}

export interface LoadOptions {
  url: string
  connections: number
  seconds?: number
  /**
   * A fixed number of requests (autocannon only)
   */
  amount?: number
  headers?: Record<string, string>
  /**
   * Run wrk on that core only (see cpu.ts)
   */
  cpu?: string
}

const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((path) => existsSync(path)) ?? null

/**
 * The load generator: wrk when installed (written in C, it leaves more
 * of the 2 cores to the app, which matters for the cheap maintenance
 * answers), autocannon otherwise or when asked with BENCH_LOADER
 */
export function loader(): LoadResult['tool'] {
  if (process.env.BENCH_LOADER === 'autocannon') return 'autocannon'
  return WRK ? 'wrk' : 'autocannon'
}

/**
 * One load round on loopback: `seconds` long, or `amount` requests
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  if (loader() === 'wrk' && !options.amount) return withWrk(options)
  return withAutocannon(options)
}

async function withAutocannon(options: LoadOptions): Promise<LoadResult> {
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
  const total = Object.values(result.statusCodeStats).reduce((sum, stat) => sum + stat.count, 0)
  return {
    tool: 'autocannon',
    rps: total / (options.amount ? elapsed : result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

/**
 * Milliseconds from wrk's "6.05ms", "812.00us", "1.02s"
 */
function duration(text: string) {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text)
  if (!match) return Number.NaN
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm']
  return Number(match[1]) * factor
}

async function withWrk(options: LoadOptions): Promise<LoadResult> {
  const seconds = options.seconds ?? 60
  const args = ['-t1', `-c${options.connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s']
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    args.push('-H', `${name}: ${value}`)
  }
  args.push(options.url)
  const command = onCpu(options.cpu, WRK!, args)
  const { stdout } = await run(command.command, command.args, { timeout: (seconds + 30) * 1000 })
  const total = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? Number.NaN)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    stdout
  )
  return {
    tool: 'wrk',
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN),
    p50: round(duration(/ 50%\s+(\S+)/.exec(stdout)?.[1] ?? ''), 2),
    p99: round(duration(/ 99%\s+(\S+)/.exec(stdout)?.[1] ?? ''), 2),
    total,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0),
    errors: socketErrors ? socketErrors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0,
  }
}
