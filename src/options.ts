/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { MAX_AHEAD } from './defaults.ts'
import * as errors from './errors.ts'
import type { ActivateOptions, ResolvedMaintenanceConfig } from './types.ts'
import { toMilliseconds, toTimestamp } from './time_input.ts'
import { normaliseAllowEntry } from './allow_entry.ts'

/**
 * A limit on a duration: its value in milliseconds and how a person
 * reads it ("1 year")
 */
export interface DurationLimit {
  ms: number
  label: string
}

/**
 * A duration as given ("15m", 90), in milliseconds, refused past `limit`.
 * `what` names it for the person who gave it: a flag, a config key.
 */
export function parseDuration(
  value: string | number,
  what: string,
  limit: DurationLimit = MAX_AHEAD
): number {
  const ms = toMilliseconds(value, what)
  if (ms > limit.ms) {
    throw new errors.E_INVALID_OPTION([`Invalid ${what} "${value}": at most ${limit.label}`])
  }
  return ms
}

/**
 * A moment as given (an ISO date-time with its zone, "in 30m", or a
 * duration after `from` where `relative`), at most MAX_AHEAD after
 * `from`. A calendar date that does not exist ("2026-02-30T10:00Z",
 * "…T24:00Z") is refused: Date would quietly roll it over to another day.
 */
export function parseMoment(
  value: string,
  what: string,
  from: number,
  relative: boolean = false
): number {
  checkCalendar(value, what)
  const time = toTimestamp(value, what, from, relative)
  if (!Number.isFinite(time) || time - from > MAX_AHEAD.ms) {
    throw new errors.E_INVALID_OPTION([
      `Invalid ${what} "${value}": at most ${MAX_AHEAD.label} ahead`,
    ])
  }
  return time
}

const ISO_MOMENT =
  /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(Z|([+-])(\d\d):?(\d\d))$/i

/**
 * The year, month, day, hour, minute (and second) as written must be
 * what Date parsed, read back in the zone written
 */
function checkCalendar(value: string, what: string) {
  const match = ISO_MOMENT.exec(value.trim())
  if (!match) return
  const time = Date.parse(value.trim())
  const [, year, month, day, hour, minute, second, , sign, offsetHours, offsetMinutes] = match
  const offset =
    sign === undefined
      ? 0
      : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000
  const read = new Date(time + offset)
  const written = [year, month, day, hour, minute, second ?? '0'].map(Number)
  const parsed = [
    read.getUTCFullYear(),
    read.getUTCMonth() + 1,
    read.getUTCDate(),
    read.getUTCHours(),
    read.getUTCMinutes(),
    read.getUTCSeconds(),
  ]
  if (Number.isFinite(time) && written.every((part, index) => part === parsed[index])) return
  throw new errors.E_INVALID_OPTION([
    `Invalid ${what} "${value}": no such date or time${Number.isFinite(time) ? ` (it would read as ${new Date(time).toISOString()})` : ''}`,
  ])
}

/**
 * The options of `activate()` once checked (see validateActivateOptions)
 */
export type ActivateSettings = ReturnType<typeof validateActivateOptions>

/**
 * Check the options of a transition to maintenance and put them in the
 * form the state keeps: the drain timeout (config default applied), the
 * Retry-After value and the canonical allow list
 */
export function validateActivateOptions(
  options: ActivateOptions,
  config: Pick<ResolvedMaintenanceConfig, 'drainTimeout' | 'sessionIdleAge'>,
  now: number = Date.now()
) {
  if (options.readOnly && options.timeout !== undefined) {
    throw new errors.E_INVALID_OPTION([
      '--timeout sets the drain deadline, and --read-only has no drain: pass one or the other',
    ])
  }

  const timeout = options.timeout ?? config.drainTimeout ?? config.sessionIdleAge
  if (!Number.isFinite(timeout) || timeout < 0) {
    throw new errors.E_INVALID_OPTION([`Invalid drain timeout "${options.timeout}"`])
  }
  /**
   * The deadline is now + timeout: past the limit it is no date at all,
   * and the status endpoint fails on it while PENDING
   */
  if (timeout > MAX_AHEAD.ms) {
    throw new errors.E_INVALID_OPTION([`Invalid --timeout: at most ${MAX_AHEAD.label}`])
  }

  let retryAfter: number | string | undefined
  if (options.retryAfter !== undefined) {
    retryAfter = parseRetryAfter(options.retryAfter, now)
  }

  if (options.redirect !== undefined && !isSafeRedirect(options.redirect)) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --redirect "${options.redirect}". Use an absolute http(s) URL or a path starting with "/"`,
    ])
  }

  if (options.secret !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(options.secret)) {
    throw new errors.E_INVALID_OPTION([
      'Invalid --secret: use 16 to 128 letters, digits, "-" or "_"',
    ])
  }

  let allow: string[] | undefined
  if (options.allow !== undefined) {
    allow = options.allow.map((entry) => normaliseAllowEntry(entry))
  }
  const messages = options.messages === undefined ? undefined : validateMessages(options.messages)
  return { timeout, retryAfter, allow, messages, ...validateWindow(options, now) }
}

/**
 * At most this many messages per locale, of at most this many characters
 */
const MAX_MESSAGES = 32
const MAX_MESSAGE_LENGTH = 2000

/**
 * Messages per locale: keys are language tags ("fr", "pt-BR"), values
 * non-empty and bounded, since every refused request may carry one
 */
function validateMessages(messages: Record<string, string>): Record<string, string> {
  const entries = Object.entries(messages)
  if (entries.length > MAX_MESSAGES) {
    throw new errors.E_INVALID_OPTION([`Too many --message-in: at most ${MAX_MESSAGES} locales`])
  }
  for (const [locale, message] of entries) {
    if (!/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(locale)) {
      throw new errors.E_INVALID_OPTION([
        `Invalid --message-in locale "${locale}": use a language tag such as "fr" or "pt-BR"`,
      ])
    }
    if (
      typeof message !== 'string' ||
      message.trim() === '' ||
      message.length > MAX_MESSAGE_LENGTH
    ) {
      throw new errors.E_INVALID_OPTION([
        `Invalid --message-in for "${locale}": give 1 to ${MAX_MESSAGE_LENGTH} characters`,
      ])
    }
  }
  return Object.fromEntries(entries)
}

/**
 * A window starts in the future and ends after it starts: one in the
 * past, or ending before it begins, is refused rather than applied at
 * once. The announcement needs a start to announce.
 */
function validateWindow(options: ActivateOptions, now: number) {
  const { at, until, announce } = options
  if (at !== undefined && (!Number.isFinite(at) || at <= now)) {
    throw new errors.E_INVALID_OPTION([`Invalid --at: ${describeTime(at)} is not in the future`])
  }
  if (at !== undefined && at - now > MAX_AHEAD.ms) {
    throw new errors.E_INVALID_OPTION([`Invalid --at: at most ${MAX_AHEAD.label} ahead`])
  }
  if (until !== undefined && (!Number.isFinite(until) || until <= (at ?? now))) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --until: ${describeTime(until)} is not after the start (${describeTime(at ?? now)})`,
    ])
  }
  if (until !== undefined && until - (at ?? now) > MAX_AHEAD.ms) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --until: at most ${MAX_AHEAD.label} after the start`,
    ])
  }
  if (announce !== undefined) {
    if (at === undefined) {
      throw new errors.E_INVALID_OPTION(['--announce needs --at: it announces a start to come'])
    }
    if (!Number.isFinite(announce) || announce < 0) {
      throw new errors.E_INVALID_OPTION([`Invalid --announce "${announce}"`])
    }
    if (announce > MAX_AHEAD.ms) {
      throw new errors.E_INVALID_OPTION([`Invalid --announce: at most ${MAX_AHEAD.label}`])
    }
  }
  return {
    at: at ?? null,
    announceAt: at !== undefined && announce !== undefined ? Math.max(now, at - announce) : null,
    until: until ?? null,
  }
}

/**
 * An instant for a message; one past what Date holds as the number it is
 */
function describeTime(value: number) {
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString()
}

/**
 * Seconds (integer ≥ 0) or an HTTP date
 */
function parseRetryAfter(value: number | string, now: number): number | string {
  if (typeof value === 'number' || /^\s*-?\d+\s*$/.test(value)) {
    const seconds = Number(value)
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new errors.E_INVALID_OPTION([
        `Invalid --retry "${value}". Use a number of seconds (0 or more) or an HTTP date`,
      ])
    }
    if (seconds * 1000 > MAX_AHEAD.ms) {
      throw new errors.E_INVALID_OPTION([`Invalid --retry "${value}": at most ${MAX_AHEAD.label}`])
    }
    return seconds
  }
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --retry "${value}". Use a number of seconds (0 or more) or an HTTP date`,
    ])
  }
  if (date.getTime() - now > MAX_AHEAD.ms) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --retry "${value}": at most ${MAX_AHEAD.label} ahead`,
    ])
  }
  return date.toUTCString()
}

function isSafeRedirect(value: string) {
  /**
   * Browsers drop tabs and newlines from a Location: "/\t/evil.com"
   * would become "//evil.com", another site
   */
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f\\]/.test(value)) return false
  if (/^\/(?![/\\])/.test(value)) return true
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}
