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
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { ApplicationService } from '@adonisjs/core/types'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import MaintenanceMiddleware from '../src/maintenance_middleware.ts'
import type { ResolvedMaintenanceConfig } from '../src/types.ts'
import debug from '../src/debug.ts'

declare module '@adonisjs/core/types' {
  interface ContainerBindings {
    'maintenance.manager': MaintenanceManager
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
      if (this.app.usingEdgeJS) {
        const { edgeRenderer } = await import('../src/plugins/edge.ts')
        this.#manager.page.useRenderer(await edgeRenderer(config.view))
      }
      return this.#manager
    })

    /**
     * The middleware is a singleton holding the manager: the request path
     * then does no container lookup of its own
     */
    this.app.container.singleton(MaintenanceMiddleware, async (resolver) => {
      return new MaintenanceMiddleware(await resolver.make('maintenance.manager'))
    })
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
   * The census follows the session guard's logins and logouts
   * (src/plugins/auth.ts)
   */
  async start() {
    if (this.app.getEnvironment() !== 'web') return
    const { listenToAuthEvents } = await import('../src/plugins/auth.ts')
    listenToAuthEvents(
      await this.app.container.make('emitter'),
      () => this.app.container.make('maintenance.manager'),
      await this.app.container.make('logger')
    )
  }

  /**
   * The request path reads state from memory: load it before the server
   * takes requests, then refresh it in the background
   */
  async ready() {
    if (this.app.getEnvironment() !== 'web') return
    const manager = await this.app.container.make('maintenance.manager')
    await manager.start()
    if (manager.config.earlyAnswer) await this.#answerEarly()
  }

  /**
   * Put the middleware's early answer in front of AdonisJS's own handler
   * on the Node.js server (created and listening by now). Left alone when
   * the server has another number of request listeners than the one
   * AdonisJS registers.
   */
  async #answerEarly() {
    const server = await this.app.container.make('server')
    const nodeServer = server.getNodeServer()
    if (!nodeServer) return
    const listeners = nodeServer.listeners('request') as RequestListener[]
    if (listeners.length !== 1) {
      debug('%d request listeners on the HTTP server: no early answer', listeners.length)
      return
    }
    const middleware = await this.app.container.make(MaintenanceMiddleware)
    const [handle] = listeners
    nodeServer.removeListener('request', handle)
    nodeServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
      let answered = false
      try {
        answered = middleware.answerEarly(req, res)
      } catch (error) {
        /**
         * Never lose a request to the shortcut: AdonisJS takes it over
         */
        debug('early answer failed: %O', error)
        answered = res.headersSent
      }
      if (!answered) handle(req, res)
    })
  }

  async shutdown() {
    await this.#manager?.stop()
  }
}
