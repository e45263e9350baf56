/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash, createHmac } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import ipaddr from 'ipaddr.js'
import string from '@adonisjs/core/helpers/string'
import * as errors from './errors.ts'

/**
 * Parse a duration given as a number of seconds or an expression ("30s",
 * "15m", "2h") into milliseconds. Core's parser reads a bare numeric string
 * as milliseconds, which is not what a person typing `--timeout=90` means,
 * so bare numbers are seconds here.
 */
export function toMilliseconds(value: string | number, what: string): number {
  let ms: number
  if (typeof value === 'number') {
    ms = value * 1000
  } else if (/^\s*\d+(\.\d+)?\s*$/.test(value)) {
    ms = Number(value) * 1000
  } else {
    try {
      ms = string.milliseconds.parse(value)
    } catch {
      throw new errors.E_INVALID_DURATION([String(value), what])
    }
  }
  if (!Number.isFinite(ms) || ms < 0) {
    throw new errors.E_INVALID_DURATION([String(value), what])
  }
  return Math.round(ms)
}

/**
 * A moment given on the command line: an ISO 8601 date-time with its
 * time zone ("2026-12-24T22:00:00Z", "2026-12-24T23:00+01:00"), or a
 * duration after `from` ("in 30m" always; a bare "2h" where `relative`
 * allows it, as `--until` does). A date without a zone is refused: read
 * on a server in another zone it would mean another hour.
 */
export function toTimestamp(
  value: string,
  what: string,
  from: number,
  relative: boolean = false
): number {
  const trimmed = value.trim()
  const inMatch = /^in\s+(.+)$/i.exec(trimmed)
  if (inMatch) return from + toMilliseconds(inMatch[1], what)
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.test(trimmed)) {
    const time = Date.parse(trimmed)
    if (Number.isFinite(time)) return time
  }
  if (relative) {
    try {
      return from + toMilliseconds(trimmed, what)
    } catch {}
  }
  throw new errors.E_INVALID_OPTION([
    `Invalid ${what} "${value}": use an ISO date-time with its zone (2026-12-24T22:00:00Z) or "in 30m"${relative ? ' or a duration (2h)' : ''}`,
  ])
}

/**
 * What the state keeps of a bypass secret: an HMAC-SHA256 keyed with the
 * app's APP_KEY, so a leaked state record does not let anyone test
 * guesses offline; a plain SHA-256 only where no key is configured
 */
export function hashSecret(secret: string, key: string | null): string {
  if (!key) return createHash('sha256').update(secret).digest('hex')
  return createHmac('sha256', key).update(`site-maintenance:secret:${secret}`).digest('hex')
}

/**
 * "user@host (pid N)", recorded with every transition
 */
export function whoAmI(): string {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {}
  return `${user}@${hostname()} (pid ${process.pid})`
}

const IPV4_PART = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const STRICT_IPV4 = new RegExp(`^${IPV4_PART}(?:\\.${IPV4_PART}){3}$`)

/**
 * An IP or CIDR in canonical form; anything else is a clear error
 */
export function normaliseAllowEntry(entry: string): string {
  /**
   * The command-line parser turns "--allow=10.1" into a number
   */
  const value = String(entry).trim()
  const [host, prefixLength] = value.split('/')
  /**
   * ipaddr.js reads "010.0.0.1" as octal (8.0.0.1) and accepts fewer than
   * four parts: an IPv4 address here is four decimal parts, no leading zero
   */
  if (/^[\d.]+$/.test(host) && !STRICT_IPV4.test(host)) {
    throw new errors.E_INVALID_ALLOW_ENTRY([entry])
  }
  if (prefixLength !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixLength)) {
    throw new errors.E_INVALID_ALLOW_ENTRY([entry])
  }
  try {
    if (value.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(value)
      return `${address.toString()}/${bits}`
    }
    return ipaddr.parse(value).toString()
  } catch {
    throw new errors.E_INVALID_ALLOW_ENTRY([entry])
  }
}

/**
 * Run a store operation, turning whatever its driver throws into
 * E_STORE_UNAVAILABLE; a corrupt record stays E_CORRUPT_STATE
 */
export async function guardStore<T>(store: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof errors.E_CORRUPT_STATE) throw error
    throw new errors.E_STORE_UNAVAILABLE([store, (error as Error).message])
  }
}

/**
 * Runs `work` one run at a time. A call made during a run is served by
 * one more run right after it (calls made meanwhile share it), so every
 * call is followed by a run that started after it, and none overlap.
 */
export class SerialRuns {
  #running: Promise<void> | null = null
  #again = false

  constructor(protected work: () => Promise<void>) {}

  /**
   * The run under way, or null
   */
  get running() {
    return this.#running
  }

  run(): Promise<void> {
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = (async () => {
      do {
        this.#again = false
        await this.work()
      } while (this.#again)
    })().finally(() => {
      this.#running = null
    })
    return this.#running
  }
}
