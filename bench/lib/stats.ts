/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * Small statistics helpers for the benchmark
 */
export function quantile(values: number[], q: number): number {
  if (!values.length) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower)
}

export function median(values: number[]) {
  return quantile(values, 0.5)
}

export function round(value: number, digits = 2) {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

export interface Summary {
  median: number
  p95: number
  max: number
  runs: number
}

export function summarise(values: number[], digits = 2): Summary {
  return {
    median: round(median(values), digits),
    p95: round(quantile(values, 0.95), digits),
    max: round(Math.max(...values), digits),
    runs: values.length,
  }
}

/**
 * Time an async call in milliseconds
 */
export async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now()
  const result = await work()
  return [performance.now() - started, result]
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Progress goes to stderr so stdout stays for results (the JSON last)
 */
export function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`)
}
