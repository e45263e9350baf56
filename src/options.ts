/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import * as errors from './errors.ts'
import type { ActivateOptions, ResolvedMaintenanceConfig } from './types.ts'
import { normaliseAllowEntry } from './utils.ts'

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

  let retryAfter: number | string | undefined
  if (options.retryAfter !== undefined) {
    retryAfter = parseRetryAfter(options.retryAfter)
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
  if (until !== undefined && (!Number.isFinite(until) || until <= (at ?? now))) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --until: ${describeTime(until)} is not after the start (${describeTime(at ?? now)})`,
    ])
  }
  if (announce !== undefined) {
    if (at === undefined) {
      throw new errors.E_INVALID_OPTION(['--announce needs --at: it announces a start to come'])
    }
    if (!Number.isFinite(announce) || announce < 0) {
      throw new errors.E_INVALID_OPTION([`Invalid --announce "${announce}"`])
    }
  }
  return {
    at: at ?? null,
    announceAt: at !== undefined && announce !== undefined ? Math.max(now, at - announce) : null,
    until: until ?? null,
  }
}

function describeTime(value: number) {
  return Number.isFinite(value) ? new Date(value).toISOString() : String(value)
}

/**
 * Seconds (integer ≥ 0) or an HTTP date
 */
function parseRetryAfter(value: number | string): number | string {
  if (typeof value === 'number' || /^\s*-?\d+\s*$/.test(value)) {
    const seconds = Number(value)
    if (!Number.isInteger(seconds) || seconds < 0) {
      throw new errors.E_INVALID_OPTION([
        `Invalid --retry "${value}". Use a number of seconds (0 or more) or an HTTP date`,
      ])
    }
    return seconds
  }
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) {
    throw new errors.E_INVALID_OPTION([
      `Invalid --retry "${value}". Use a number of seconds (0 or more) or an HTTP date`,
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
