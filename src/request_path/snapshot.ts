/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash } from 'node:crypto'
import { rawPath } from './allowed_paths.ts'
import { IpAllowList } from './ip_allow_list.ts'
import type { PreparedAnswer } from './maintenance_answer.ts'
import type { MaintenancePage } from '../maintenance_page.ts'
import type { MaintenanceState, ResolvedMaintenanceConfig } from '../types.ts'

/**
 * Why a request got through while the site is not ONLINE
 */
export type BypassReason = 'session' | 'cookie' | 'ip' | 'path' | 'role' | 'route'

/**
 * What `ctx.maintenance` holds for a request let through while the site is
 * PENDING or OFFLINE (templates use it for the banner)
 */
export interface MaintenanceRequestInfo {
  status: 'pending' | 'offline'
  pending: boolean
  offline: boolean
  /**
   * OFFLINE, but reads pass for everyone: this request is a write let
   * through by a bypass
   */
  readOnly?: boolean
  message: string
  /**
   * When a PENDING site goes OFFLINE at the latest
   */
  deadline: Date | null
  retryAfter: number | string
  via: BypassReason
}

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /**
     * Set for requests let through while the site is PENDING or OFFLINE
     */
    maintenance?: MaintenanceRequestInfo
  }
}

/**
 * Everything the request path derives from one state, computed once per
 * state revision rather than per request
 */
export interface Snapshot {
  state: MaintenanceState
  ips: IpAllowList
  bypassValue: string | null
  answer: PreparedAnswer
  redirect: { location: string; host: string | null; path: string } | null
  info: Omit<MaintenanceRequestInfo, 'via'>
}

export function snapshotOf(
  state: MaintenanceState,
  config: Pick<ResolvedMaintenanceConfig, 'allow'>,
  page: Pick<MaintenancePage, 'json' | 'retryAfterHeader' | 'html' | 'answerFor'>
): Snapshot {
  const body = page.json(state)
  return {
    state,
    ips: new IpAllowList(new Set([...config.allow, ...state.allow])),
    bypassValue: state.secretHash ? bypassValue(state.secretHash, state.secretNonce) : null,
    answer: {
      retryAfter: page.retryAfterHeader(state),
      html: () => page.html(state),
      localized: (acceptLanguage) => page.answerFor(state, acceptLanguage),
      json: JSON.stringify({
        status: body.status,
        message: body.message,
        retryAfter: body.retryAfter,
        retryAt: body.retryAt,
        ...(body.readOnly ? { readOnly: true } : {}),
      }),
    },
    redirect: state.redirect ? parseRedirect(state.redirect) : null,
    info: {
      status: state.status as 'pending' | 'offline',
      pending: state.status === 'pending',
      offline: state.status === 'offline',
      readOnly: state.readOnly === true,
      message: body.message,
      deadline: state.deadline === null ? null : new Date(state.deadline),
      retryAfter: body.retryAfter,
    },
  }
}

/**
 * The bypass cookie's value: derived from the secret's hash, so it is
 * valid only while that secret is in force and reveals nothing of it
 */
export function bypassValue(secretHash: string, nonce: string | null): string {
  return createHash('sha256')
    .update(`site-maintenance:bypass:${secretHash}:${nonce ?? ''}`)
    .digest('hex')
    .slice(0, 32)
}

function parseRedirect(location: string): Snapshot['redirect'] {
  if (location.startsWith('/')) return { location, host: null, path: rawPath(location) }
  try {
    const url = new URL(location)
    return { location, host: url.host.toLowerCase(), path: url.pathname }
  } catch {
    return null
  }
}
