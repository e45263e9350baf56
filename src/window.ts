/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes } from 'node:crypto'
import * as errors from './errors.ts'
import type { ActivateSettings } from './options.ts'
import { initialState, statusLabel } from './state.ts'
import type { EnteredState } from './transitions.ts'
import type { ActivateOptions, MaintenanceSchedule, MaintenanceState } from './types.ts'
import { hashSecret, whoAmI } from './utils.ts'

/**
 * What a window shows and who passes it, from the options given, else
 * from the state it continues (`keep`): the message and its translations,
 * Retry-After, the redirect, the bypass secret (stored as its keyed hash
 * only, with a fresh nonce), the allowed IPs
 */
export function windowSettings(
  options: ActivateOptions,
  settings: ActivateSettings,
  keep: MaintenanceState | null,
  secretKey: string | null
): MaintenanceState {
  return {
    ...initialState(),
    message: options.message ?? keep?.message ?? null,
    ...(settings.messages
      ? { messages: settings.messages }
      : keep?.messages
        ? { messages: keep.messages }
        : {}),
    retryAfter: settings.retryAfter ?? keep?.retryAfter ?? null,
    redirect: options.redirect ?? keep?.redirect ?? null,
    requestedBy: options.requestedBy ?? whoAmI(),
    secretHash: options.secret ? hashSecret(options.secret, secretKey) : (keep?.secretHash ?? null),
    secretNonce: options.secret ? randomBytes(16).toString('hex') : (keep?.secretNonce ?? null),
    allow: settings.allow ?? keep?.allow ?? [],
    schedule: keep?.schedule ?? null,
  }
}

/**
 * The schedule a window records: its start and announcement (none for a
 * window that starts now), its end, and how it goes down
 */
export function windowSchedule(
  settings: ActivateSettings,
  how: Pick<ActivateOptions, 'force' | 'readOnly'>
): MaintenanceSchedule {
  return {
    startsAt: settings.at,
    announceAt: settings.announceAt,
    endsAt: settings.until,
    force: !!how.force,
    readOnly: !!how.readOnly,
    timeout: settings.timeout,
  }
}

/**
 * The ONLINE state that records a window to come, with its settings;
 * refused unless the site is ONLINE
 */
export function windowToCome(
  current: MaintenanceState,
  options: ActivateOptions,
  settings: ActivateSettings,
  secretKey: string | null
): MaintenanceState {
  if (current.status !== 'online') {
    throw new errors.E_INVALID_OPTION([
      `The site is already ${statusLabel(current)}: run "node ace offline:off" first, or go now without --at`,
    ])
  }
  return {
    ...windowSettings(options, settings, null, secretKey),
    status: 'online',
    since: current.since,
    drainStartedAt: null,
    schedule: windowSchedule(settings, options),
  }
}

/**
 * The state of a window entered now from `current`. Its settings carry
 * over from PENDING, and between READ-ONLY and OFFLINE (the bypass secret
 * stays valid); an end given (--until) makes it a scheduled window.
 */
export function windowEntered(
  current: MaintenanceState,
  entered: EnteredState,
  options: ActivateOptions,
  settings: ActivateSettings,
  secretKey: string | null
): MaintenanceState {
  const keep = current.status === 'online' ? null : current
  return {
    ...windowSettings(options, settings, keep, secretKey),
    ...entered,
    schedule: settings.until ? windowSchedule(settings, options) : keptSchedule(keep, options),
  }
}

/**
 * The schedule a window entered without --until keeps. Going from
 * READ-ONLY to a full PENDING or OFFLINE is an escalation: the end planned
 * for the read-only window would bring the site back ONLINE by itself in
 * the middle of it, so it is dropped (offline:on says so)
 */
function keptSchedule(keep: MaintenanceState | null, options: ActivateOptions) {
  const schedule = keep?.schedule ?? null
  const escalated = keep?.readOnly === true && !options.readOnly
  if (!schedule || !escalated || schedule.endsAt === null) return schedule
  return { ...schedule, endsAt: null }
}
