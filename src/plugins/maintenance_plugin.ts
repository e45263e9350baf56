/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ApplicationService } from '@adonisjs/core/types'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import type { MaintenanceGate } from '../request_path/maintenance_gate.ts'

/**
 * What every lifecycle hook of a plugin is given
 */
export interface PluginContext {
  app: ApplicationService
  /**
   * The manager, built on the first call: a hook that returns early
   * (wrong environment, feature off) builds nothing
   */
  manager(): Promise<MaintenanceManager>
}

/**
 * One integration (Edge, i18n, transmit, queue, auth, …), loaded by the
 * provider only when `src/plugins/main.ts` detects it. Every hook is
 * optional and awaited in the list's order, one plugin after the other,
 * so a plugin may rely on those listed before it.
 */
export interface MaintenancePlugin {
  /**
   * The manager was just built, before anything reads or renders with
   * it (in console commands too): the page's renderer, its wording
   */
  setup?(manager: MaintenanceManager, context: PluginContext): void | Promise<void>

  /**
   * Paths the gate lets through in every state, read once when the gate
   * is built
   */
  openPaths?(manager: MaintenanceManager, context: PluginContext): readonly string[]

  /**
   * The provider's boot(): every environment
   */
  boot?(context: PluginContext): void | Promise<void>

  /**
   * The provider's start(): before the app's routes are committed
   */
  start?(context: PluginContext): void | Promise<void>

  /**
   * The provider's ready(), HTTP server only: the state is loaded and
   * kept fresh and the gate built; the early answer comes after
   */
  ready?(context: PluginContext & { gate: MaintenanceGate }): void | Promise<void>

  /**
   * The provider's shutdown(), before the manager stops
   */
  shutdown?(context: PluginContext): void | Promise<void>
}

/**
 * A plugin module's default export: one plugin per app, so a plugin can
 * keep what it started (several apps share a process in the tests)
 */
export type PluginFactory = () => MaintenancePlugin
