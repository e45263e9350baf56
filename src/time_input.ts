/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

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
