/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ApplicationService } from '@adonisjs/core/types'
import debug from '../debug.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import type { MaintenanceGate } from '../request_path/maintenance_gate.ts'
import type { MaintenancePlugin, PluginContext, PluginFactory } from './maintenance_plugin.ts'

/**
 * A plugin as the provider knows it before loading it: the detection
 * lives here, not in the plugin's file, so an integration whose package
 * the app lacks is never imported
 */
export interface PluginEntry {
  name: string
  detect(app: ApplicationService): boolean
  load(): Promise<{ default: PluginFactory }>
}

/**
 * config/queue.ts is wrapped by `holdDuringMaintenance` (its symbol,
 * HELD_QUEUE_CONFIG, read by name so the queue code stays unloaded) and
 * @adonisjs/queue's provider is registered
 */
function holdsQueueWorkers(app: ApplicationService) {
  const queue = app.config.get<Record<symbol, unknown> | null>('queue', null)
  return (
    Boolean(queue?.[Symbol.for('site-maintenance.queue')]) &&
    app.container.hasBinding('queue.manager')
  )
}

/**
 * Every integration, in the order their hooks run. A new integration is
 * one file in this folder and one line here.
 */
export const plugins: PluginEntry[] = [
  { name: 'queue', detect: holdsQueueWorkers, load: () => import('./queue.ts') },
  { name: 'edge', detect: (app) => app.usingEdgeJS, load: () => import('./edge.ts') },
  {
    name: 'i18n',
    detect: (app) => app.container.hasBinding('i18n'),
    load: () => import('./i18n.ts'),
  },
  {
    name: 'transmit',
    detect: (app) => app.container.hasBinding('transmit' as never),
    load: () => import('./transmit.ts'),
  },
  {
    name: 'scheduler',
    detect: (app) => app.container.hasBinding('scheduler' as never),
    load: () => import('./scheduler.ts'),
  },
  /**
   * Every app has an Ace kernel: its commands marked to hold
   */
  { name: 'ace', detect: () => true, load: () => import('./ace.ts') },
  {
    name: 'status route',
    detect: (app) => ['web', 'test'].includes(app.getEnvironment()),
    load: () => import('./status_route.ts'),
  },
  /**
   * Auth's events are listened to by name: only the HTTP server has logins
   */
  {
    name: 'auth',
    detect: (app) => app.getEnvironment() === 'web',
    load: () => import('./auth.ts'),
  },
]

/**
 * The plugins of one app, detected and imported on first use, once; each
 * hook awaited in the list's order, one plugin after the other
 */
export class MaintenancePlugins {
  #loaded: Promise<MaintenancePlugin[]> | null = null
  readonly context: PluginContext

  constructor(
    protected app: ApplicationService,
    protected entries: PluginEntry[] = plugins
  ) {
    this.context = { app, manager: () => app.container.make('maintenance.manager') }
  }

  async #detected() {
    const loaded: MaintenancePlugin[] = []
    for (const entry of this.entries) {
      if (!entry.detect(this.app)) continue
      debug('loading the %s plugin', entry.name)
      const { default: create } = await entry.load()
      loaded.push(create())
    }
    return loaded
  }

  /**
   * The detected plugins, in the list's order
   */
  list() {
    this.#loaded ??= this.#detected()
    return this.#loaded
  }

  async run(hook: 'boot' | 'start') {
    for (const plugin of await this.list()) await plugin[hook]?.(this.context)
  }

  async setup(manager: MaintenanceManager) {
    for (const plugin of await this.list()) await plugin.setup?.(manager, this.context)
  }

  async openPaths(manager: MaintenanceManager) {
    const list = await this.list()
    return list.flatMap((plugin) => plugin.openPaths?.(manager, this.context) ?? [])
  }

  async ready(gate: MaintenanceGate) {
    for (const plugin of await this.list()) await plugin.ready?.({ ...this.context, gate })
  }

  /**
   * Plugins never loaded have nothing to stop
   */
  async shutdown() {
    if (!this.#loaded) return
    for (const plugin of await this.#loaded) await plugin.shutdown?.(this.context)
  }
}
