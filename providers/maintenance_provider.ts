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
import { MaintenancePlugins } from '../src/plugins/main.ts'
import MaintenanceMiddleware from '../src/request_path/maintenance_middleware.ts'
import { resolveConfig } from '../src/resolve_config.ts'

declare module '@adonisjs/core/types' {
  interface ContainerBindings {
    'maintenance.manager': MaintenanceManager
    'maintenance.gate': MaintenanceGate
  }
}

/**
 * Binds the manager, its gate and the middleware; keeps the state fresh
 * and answers early while the HTTP server runs. Integrations (Edge, i18n,
 * transmit, queue, auth, …) hook in from src/plugins/, when detected.
 */
export default class MaintenanceProvider {
  #manager: MaintenanceManager | null = null
  #plugins: MaintenancePlugins

  constructor(protected app: ApplicationService) {
    this.#plugins = new MaintenancePlugins(app)
  }

  register() {
    this.app.container.singleton('maintenance.manager', async (resolver) => {
      const { MaintenanceManager } = await import('../src/maintenance_manager.ts')
      const config = await resolveConfig(this.app)
      const emitter = await resolver.make('emitter')
      this.#manager = new MaintenanceManager(config, emitter, await resolver.make('logger'))
      await this.#plugins.setup(this.#manager)
      return this.#manager
    })

    /**
     * Built once. The server may take a request before ready() has read
     * the state: the gate reads it first, never showing the default ONLINE.
     */
    this.app.container.singleton('maintenance.gate', async (resolver) => {
      const manager = await resolver.make('maintenance.manager')
      if (!manager.loaded && !manager.assumed) await manager.load()
      const { MaintenanceGate } = await import('../src/request_path/maintenance_gate.ts')
      const { gateOptions } = await import('../src/request_path/gate_options.ts')
      const openPaths = await this.#plugins.openPaths(manager)
      const logger = await resolver.make('logger')
      return new MaintenanceGate(manager, await gateOptions(this.app, logger, openPaths))
    })

    /**
     * A singleton holding the gate: no container lookup per request
     */
    this.app.container.singleton(MaintenanceMiddleware, async (resolver) => {
      return new MaintenanceMiddleware(await resolver.make('maintenance.gate'))
    })
  }

  async boot() {
    await this.#plugins.run('boot')
  }

  async start() {
    await this.#plugins.run('start')
  }

  /**
   * The request path reads the state from memory: load it and keep it
   * fresh, build the gate, start the plugins, then answer early
   */
  async ready() {
    if (this.app.getEnvironment() !== 'web') return
    const manager = await this.app.container.make('maintenance.manager')
    await manager.sync.start()
    const gate = await this.app.container.make('maintenance.gate')
    await this.#plugins.ready(gate)
    const { installOnServer } = await import('../src/request_path/install_on_server.ts')
    await installOnServer(this.app, gate, manager.config)
  }

  async shutdown() {
    await this.#plugins.shutdown()
    await this.#manager?.stop()
  }
}
