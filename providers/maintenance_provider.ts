/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ApplicationService } from '@adonisjs/core/types'
import type { MaintenanceGate } from '../src/request_path/maintenance_gate.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import type { LiveBroadcast } from '../src/plugins/transmit.ts'
import MaintenanceMiddleware from '../src/request_path/maintenance_middleware.ts'
import { resolveConfig } from '../src/resolve_config.ts'

declare module '@adonisjs/core/types' {
  interface ContainerBindings {
    'maintenance.manager': MaintenanceManager
    'maintenance.gate': MaintenanceGate
  }
}

/**
 * Binds the maintenance manager, keeps its state fresh while the HTTP
 * server runs, and exposes it to Edge templates
 */
export default class MaintenanceProvider {
  #manager: MaintenanceManager | null = null
  #broadcast: LiveBroadcast | null = null

  constructor(protected app: ApplicationService) {}

  register() {
    this.app.container.singleton('maintenance.manager', async (resolver) => {
      const { MaintenanceManager } = await import('../src/maintenance_manager.ts')
      const config = await resolveConfig(this.app)
      const emitter = await resolver.make('emitter')
      const logger = await resolver.make('logger')
      this.#manager = new MaintenanceManager(config, emitter, logger)
      this.#manager.countsJobs = this.#holdsQueueWorkers()
      if (this.app.usingEdgeJS) {
        const { edgeRenderer } = await import('../src/plugins/edge.ts')
        this.#manager.page.useRenderer(await edgeRenderer(config.view))
      }
      /**
       * With @adonisjs/i18n, visitors get the app's languages and its
       * `maintenance.*` wording; the page is still rendered once per state
       * and locale
       */
      if (this.app.container.hasBinding('i18n')) {
        const { catalogFromI18n } = await import('../src/i18n/app_i18n.ts')
        const i18n = await resolver.make('i18n' as any)
        this.#manager.page.useCatalog(await catalogFromI18n(i18n))
      }
      return this.#manager
    })

    /**
     * The request path's policy, built once. The HTTP server may take a
     * request before ready() has read the state: building the gate reads
     * it first, so that request never sees the default ONLINE.
     */
    this.app.container.singleton('maintenance.gate', async (resolver) => {
      const manager = await resolver.make('maintenance.manager')
      if (!manager.loaded && !manager.assumed) await manager.load()
      const { MaintenanceGate } = await import('../src/request_path/maintenance_gate.ts')
      const { gateOptions } = await import('../src/request_path/gate_options.ts')
      const { listensOnTransmit, TRANSMIT_PATHS } = await import('../src/plugins/transmit.ts')
      const openPaths = listensOnTransmit(this.app, manager.config) ? TRANSMIT_PATHS : []
      const logger = await resolver.make('logger')
      return new MaintenanceGate(manager, await gateOptions(this.app, logger, openPaths))
    })

    /**
     * The middleware is a singleton holding the gate: the request path
     * then does no container lookup of its own
     */
    this.app.container.singleton(MaintenanceMiddleware, async (resolver) => {
      return new MaintenanceMiddleware(await resolver.make('maintenance.gate'))
    })
  }

  /**
   * Whether config/queue.ts is wrapped by `holdDuringMaintenance` and
   * @adonisjs/queue's provider is registered: a config lookup, nothing
   * of the queue is loaded here
   */
  #holdsQueueWorkers() {
    const queue = this.app.config.get<Record<symbol, unknown> | null>('queue', null)
    return (
      Boolean(queue?.[Symbol.for('site-maintenance.queue')]) &&
      this.app.container.hasBinding('queue.manager')
    )
  }

  /**
   * Edge templates get the `maintenance` global (live state, no I/O) and
   * the banner component, when the app uses Edge
   */
  async boot() {
    if (this.app.usingEdgeJS) {
      const { default: edge } = await import('edge.js')
      const { edgePluginMaintenance } = await import('../src/plugins/edge.ts')
      const { listensOnTransmit, LIVE_CHANNEL } = await import('../src/plugins/transmit.ts')
      const manager = await this.app.container.make('maintenance.manager')
      const channel = listensOnTransmit(this.app, manager.config) ? LIVE_CHANNEL : null
      edge.use(edgePluginMaintenance(manager, { channel }))
    }
    await this.#holdBackgroundWork()
  }

  /**
   * Background work holds still while the site is PENDING or OFFLINE:
   * commands marked `static maintenance = 'hold'` on the app's Ace kernel,
   * and adonisjs-scheduler's schedules when the app resolves its scheduler
   * (a hook on a name, so nothing is imported when the app has none)
   */
  async #holdBackgroundWork() {
    const manager = () => this.app.container.make('maintenance.manager')
    const container = this.app.container as unknown as {
      resolving(binding: string, callback: (value: any) => unknown): void
    }
    container.resolving('scheduler', async (scheduler) => {
      const { holdScheduler } = await import('../src/background/scheduler_hold.ts')
      const { MaintenanceHold } = await import('../src/background/maintenance_hold.ts')
      const logger = await this.app.container.make('logger')
      holdScheduler(this.app, scheduler, new MaintenanceHold(await manager(), logger))
    })

    const { holdMarkedCommands } = await import('../src/background/command_hold.ts')
    if (this.app.getEnvironment() === 'console') {
      holdMarkedCommands(await this.app.container.make('ace'), manager)
    } else {
      this.app.container.resolving('ace', (kernel) => holdMarkedCommands(kernel, manager))
    }
  }

  /**
   * The live banner's status endpoint (`banner.live`), for the requests
   * that reach the router: all of them while ONLINE, those let through
   * otherwise. A route rather than a path check in the middleware, so
   * that no other ONLINE request pays for it; the gate answers the polls
   * it refuses. The answer is written on the Node.js response at once:
   * cookies the router stack's middleware set later are never sent.
   */
  async #registerStatusRoute() {
    const environment = this.app.getEnvironment()
    if (environment !== 'web' && environment !== 'test') return
    const manager = await this.app.container.make('maintenance.manager')
    if (!manager.config.banner?.live) return
    const router = await this.app.container.make('router')
    let gate: MaintenanceGate | null = null
    router.get(manager.config.banner.path, async ({ response }) => {
      gate ??= await this.app.container.make('maintenance.gate')
      gate.live!.write(manager.state, response.response)
    })
  }

  /**
   * The census follows the session guard's logins and logouts
   * (src/plugins/auth.ts); the status route is registered before the
   * app's routes are committed
   */
  async start() {
    await this.#registerStatusRoute()
    if (this.app.getEnvironment() !== 'web') return
    const { listenToAuthEvents } = await import('../src/plugins/auth.ts')
    listenToAuthEvents(
      await this.app.container.make('emitter'),
      () => this.app.container.make('maintenance.manager'),
      await this.app.container.make('logger')
    )
  }

  /**
   * The request path reads state from memory: load it and keep it fresh,
   * build the gate, and put its early answer on the Node.js server
   */
  async ready() {
    if (this.app.getEnvironment() !== 'web') return
    const manager = await this.app.container.make('maintenance.manager')
    await manager.sync.start()
    const gate = await this.app.container.make('maintenance.gate')
    await this.#broadcastOnTransmit(manager, gate)
    const { installOnServer } = await import('../src/request_path/install_on_server.ts')
    await installOnServer(this.app, gate, manager.config)
  }

  /**
   * With @adonisjs/transmit, live banners listen on a channel: this
   * process sends them every state it applies (src/plugins/transmit.ts)
   */
  async #broadcastOnTransmit(manager: MaintenanceManager, gate: MaintenanceGate) {
    const { listensOnTransmit, LiveBroadcast } = await import('../src/plugins/transmit.ts')
    if (!gate.live || !listensOnTransmit(this.app, manager.config)) return
    const transmit = await this.app.container.make('transmit' as never)
    this.#broadcast = new LiveBroadcast(transmit, manager, gate.live)
    this.#broadcast.start(await this.app.container.make('emitter'))
  }

  async shutdown() {
    this.#broadcast?.stop()
    await this.#manager?.stop()
  }
}
