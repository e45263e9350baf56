/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ServerResponse } from 'node:http'
import { messageOf } from '../maintenance_page.ts'
import type { MaintenanceState, ResolvedMaintenanceConfig } from '../types.ts'

/**
 * The answer of the live banner's status endpoint
 */
export interface LiveStatusAnswer {
  headers: Record<string, string>
  body: string
}

/**
 * The status endpoint polled by live banners (`banner.live`): one JSON
 * object per state, built once per state change and then written from
 * memory. It holds what a banner shows and nothing else: no requester,
 * no secret, no allowed IPs.
 */
export class LiveStatus {
  readonly path: string
  #cacheControl: string
  #state: MaintenanceState | null = null
  #answer: LiveStatusAnswer | null = null

  constructor(protected config: Pick<ResolvedMaintenanceConfig, 'banner' | 'message'>) {
    this.path = config.banner.path
    /**
     * Cached for half the poll interval: a CDN or the browser may spare
     * the app most polls, and a change still shows within about 1.5
     * intervals of reaching the app
     */
    const maxAge = Math.max(1, Math.floor(config.banner.interval / 2000))
    this.#cacheControl = `public, max-age=${maxAge}`
  }

  /**
   * Whether a request is a poll: GET or HEAD of the path (the raw path,
   * without its query string)
   */
  matches(method: string | undefined, path: string): boolean {
    return path === this.path && (method === 'GET' || method === 'HEAD')
  }

  /**
   * The answer for `state`, rebuilt only when the state object changes
   */
  answer(state: MaintenanceState): LiveStatusAnswer {
    if (this.#state === state && this.#answer) return this.#answer
    const online = state.status === 'online'
    const body = JSON.stringify({
      status: state.status,
      readOnly: state.status === 'offline' && state.readOnly === true,
      deadline:
        state.status === 'pending' && state.deadline !== null
          ? new Date(state.deadline).toISOString()
          : null,
      message: online ? null : messageOf(state, this.config),
      since: new Date(state.since).toISOString(),
      revision: state.revision,
    })
    this.#answer = {
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(body)),
        'Cache-Control': this.#cacheControl,
        'X-Content-Type-Options': 'nosniff',
      },
      body,
    }
    this.#state = state
    return this.#answer
  }

  /**
   * Write the answer on the Node.js response, which ends it: a cookie the
   * app's middleware sets afterwards is never sent, so the answer stays
   * cacheable by shared caches (Node.js sends no body for HEAD)
   */
  write(state: MaintenanceState, res: ServerResponse) {
    const { headers, body } = this.answer(state)
    res.writeHead(200, headers)
    res.end(body)
  }
}
