/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { EmitterService } from '@adonisjs/core/types'
import debug from '../debug.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import type { LiveStatus } from '../request_path/live_status.ts'
import type { MaintenancePlugin } from './maintenance_plugin.ts'
import type { MaintenanceState } from '../types.ts'

/**
 * The channel live banners subscribe to when the app has @adonisjs/transmit
 */
export const LIVE_CHANNEL = 'site-maintenance/status'

/**
 * The routes of `transmit.registerRoutes()`: open in every state, so a
 * page keeps its stream while PENDING and OFFLINE (the status endpoint's
 * exemption, for the stream)
 */
export const TRANSMIT_PATHS = [
  '/__transmit/events',
  '/__transmit/subscribe',
  '/__transmit/unsubscribe',
] as const

/**
 * The part of @adonisjs/transmit used here (it stays an optional peer)
 */
export interface TransmitLike {
  broadcastExcept(channel: string, payload: any, senderUid: string | string[]): void
  on(
    event: 'subscribe',
    callback: (event: { uid: string; channel: string; context?: unknown }) => void
  ): () => void
  getManager(): {
    findByChannel(
      channel: string
    ): Set<{ getUid(): string; writeMessage(message: { data: unknown }): unknown }>
  }
}

type SubscribeContext = { request?: { input(key: string): unknown } }

/**
 * How often a change of message or deadline within the same status (no
 * event for those) is looked for: a comparison of two numbers
 */
const REVISION_CHECK = 1_000

/**
 * Sends every state this process applies to the live banners subscribed
 * on this process, with the status endpoint's payload. Each app instance
 * broadcasts to its own subscribers when it applies a change (its sync
 * loop sees every change), with `broadcastExcept`, which never goes
 * through transmit's transport: no Redis needed, and no page gets a
 * change twice when a transport is configured.
 */
export class LiveBroadcast {
  #sent = -1
  #timer: NodeJS.Timeout | null = null
  #off: Array<() => void> = []
  #payload: { state: MaintenanceState; value: Record<string, unknown> } | null = null

  constructor(
    protected transmit: TransmitLike,
    protected manager: Pick<MaintenanceManager, 'state'>,
    protected live: LiveStatus
  ) {}

  start(emitter: Pick<EmitterService, 'on' | 'off'>) {
    this.#sent = this.manager.state.revision
    const send = () => this.send()
    for (const event of ['maintenance:pending', 'maintenance:offline', 'maintenance:online']) {
      emitter.on(event as 'maintenance:offline', send)
      this.#off.push(() => emitter.off(event as 'maintenance:offline', send))
    }
    this.#timer = setInterval(() => {
      if (this.manager.state.revision !== this.#sent) this.send()
    }, REVISION_CHECK)
    this.#timer.unref()
    this.#off.push(this.transmit.on('subscribe', (event) => this.#catchUp(event)))
  }

  stop() {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    for (const off of this.#off.splice(0)) off()
  }

  /**
   * The payload of the current state, parsed once per state
   */
  payload() {
    const state = this.manager.state as MaintenanceState
    if (this.#payload?.state !== state) {
      this.#payload = { state, value: JSON.parse(this.live.answer(state).body) }
    }
    return this.#payload.value
  }

  /**
   * Broadcast the current state to this process's subscribers
   */
  send() {
    const payload = this.payload()
    this.#sent = this.manager.state.revision
    debug('broadcasting revision %d on %s', this.#sent, LIVE_CHANNEL)
    this.transmit.broadcastExcept(LIVE_CHANNEL, payload, [])
  }

  /**
   * A page subscribes with the revision it was rendered with (or last
   * got): when the state moved on meanwhile, that page alone gets the
   * current one, so nothing is missed between render and subscription
   * or while a stream reconnected
   */
  #catchUp({ uid, channel, context }: { uid: string; channel: string; context?: unknown }) {
    if (channel !== LIVE_CHANNEL) return
    const revision = Number((context as SubscribeContext)?.request?.input('revision'))
    if (revision === this.manager.state.revision) return
    for (const stream of this.transmit.getManager().findByChannel(LIVE_CHANNEL)) {
      if (stream.getUid() === uid) {
        stream.writeMessage({ data: { channel: LIVE_CHANNEL, payload: this.payload() } })
        return
      }
    }
  }
}

/**
 * Whether live banners listen on transmit: `banner.live` is on and the
 * app registers @adonisjs/transmit's provider (`transmit.registerRoutes()`
 * in start/routes.ts is the app's part; without it pages fall back to
 * polling)
 */
export function listensOnTransmit(
  app: { container: { hasBinding(binding: never): boolean } },
  config: { banner?: { live?: boolean } }
) {
  return config.banner?.live === true && app.container.hasBinding('transmit' as never)
}

/**
 * The integration, when the app registers @adonisjs/transmit: the gate
 * keeps transmit's routes open, and this process sends live banners every
 * state it applies
 */
export default function transmitPlugin(): MaintenancePlugin {
  let broadcast: LiveBroadcast | null = null
  return {
    openPaths(manager, { app }) {
      return listensOnTransmit(app, manager.config) ? TRANSMIT_PATHS : []
    },
    async ready({ app, manager, gate }) {
      const resolved = await manager()
      if (!gate.live || !listensOnTransmit(app, resolved.config)) return
      const transmit = await app.container.make('transmit' as never)
      broadcast = new LiveBroadcast(transmit, resolved, gate.live)
      broadcast.start(await app.container.make('emitter'))
    },
    shutdown() {
      broadcast?.stop()
    },
  }
}
