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

/**
 * Student's t, two-sided 95 %, by degrees of freedom (1–10; 1.96 beyond)
 */
const T95 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23]

/**
 * 95 % confidence interval of the mean of independent measurements (here:
 * one ratio per pair of processes, which differ from pair to pair by more
 * than rounds of one pair do), rounded to `digits`; null below 3 values
 */
export function interval95(values: number[], digits = 3): [number, number] | null {
  const n = values.length
  if (n < 3) return null
  const mean = values.reduce((sum, value) => sum + value, 0) / n
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1)
  const half = (T95[n - 2] ?? 1.96) * Math.sqrt(variance / n)
  return [round(mean - half, digits), round(mean + half, digits)]
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
