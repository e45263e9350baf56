/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { configProvider } from '@adonisjs/core'
import { RuntimeException } from '@adonisjs/core/exceptions'
import type { ApplicationService } from '@adonisjs/core/types'
import type { MaintenanceGate } from '../src/request_path/maintenance_gate.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import MaintenanceMiddleware from '../src/request_path/maintenance_middleware.ts'
import type { ResolvedMaintenanceConfig } from '../src/types.ts'

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

  constructor(protected app: ApplicationService) {}

  register() {
    this.app.container.singleton('maintenance.manager', async (resolver) => {
      const { MaintenanceManager } = await import('../src/maintenance_manager.ts')
      const config = await configProvider.resolve<ResolvedMaintenanceConfig>(
        this.app,
        this.app.config.get('maintenance', {})
      )
      if (!config) {
        throw new RuntimeException(
          'Invalid "config/maintenance.ts" file. Make sure you are using the "defineConfig" method'
        )
      }
      const emitter = await resolver.make('emitter')
      const logger = await resolver.make('logger')
      this.#manager = new MaintenanceManager(config, emitter, logger)
      this.#manager.countsJobs = this.#holdsQueueWorkers()
      if (this.app.usingEdgeJS) {
        const { edgeRenderer } = await import('../src/plugins/edge.ts')
        this.#manager.page.useRenderer(await edgeRenderer(config.view))
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
      const { sessionCookieName } = await import('../src/request_path/presence_marker.ts')
      return new MaintenanceGate(manager, {
        sessionCookie: await sessionCookieName(this.app),
        logger: await resolver.make('logger'),
        appUrl: this.app.config.get<string | undefined>('app.appUrl', process.env.APP_URL),
      })
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
      edge.use(edgePluginMaintenance(await this.app.container.make('maintenance.manager')))
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
    const server = await this.app.container.make('server')
    const nodeServer = server.getNodeServer()
    if (!nodeServer) return
    const { installEarlyAnswer, refuseUpgrades } =
      await import('../src/request_path/early_answer.ts')
    const { CookieClient } = await import('@adonisjs/core/http')
    const encryption = await this.app.container.make('encryption')
    const cookies = new CookieClient(encryption.use())
    refuseUpgrades(nodeServer, gate, (name, raw) => cookies.unsign(name, decodeURIComponent(raw)))
    if (manager.config.earlyAnswer) installEarlyAnswer(nodeServer, gate)
  }

  async shutdown() {
    await this.#manager?.stop()
  }
}
