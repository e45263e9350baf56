/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { HttpContext } from '@adonisjs/core/http'
import type { ContainerResolver } from '@adonisjs/core/container'
import type { ContainerBindings } from '@adonisjs/core/types'
import type { NextFn } from '@adonisjs/core/types/http'
import type {} from '../providers/maintenance_provider.ts'
import { MaintenanceGate, type MaintenanceRequestInfo } from './maintenance_gate.ts'
import type { MaintenanceManager } from './maintenance_manager.ts'
import { recordPresence } from './presence.ts'
import { sessionCookieName } from './presence_marker.ts'

export type { MaintenanceRequestInfo } from './maintenance_gate.ts'

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /**
     * Set for requests let through while the site is PENDING or OFFLINE
     */
    maintenance?: MaintenanceRequestInfo
  }
}

/**
 * One gate per manager (per app), created on the first request
 */
const gates = new WeakMap<MaintenanceManager, MaintenanceGate>()
const creating = new WeakMap<MaintenanceManager, Promise<MaintenanceGate>>()

async function createGate(
  manager: MaintenanceManager,
  resolver: ContainerResolver<ContainerBindings>
): Promise<MaintenanceGate> {
  /**
   * The HTTP server listens before the provider's ready() loads the
   * state: a request in between must not see the default ONLINE while the
   * site is down, so the first request loads it once
   */
  if (manager.state.revision <= 0) await manager.load()
  const app = await resolver.make('app')
  const logger = await resolver.make('logger')
  const gate = new MaintenanceGate(manager, {
    sessionCookie: await sessionCookieName(app),
    logger,
  })
  gates.set(manager, gate)
  return gate
}

/**
 * Once the rest of the pipeline has run, record the presence of the
 * request's session: the session and auth middleware of the router stack
 * have run by then. A rejection passes through untouched.
 */
function thenRecordPresence(ctx: HttpContext, manager: MaintenanceManager, pipeline: unknown) {
  return Promise.resolve(pipeline).then((output: unknown) => {
    recordPresence(ctx, manager)
    return output
  })
}

/**
 * Registered first in the server stack, so it sees every request
 * (unmatched URLs included) before body parsing, sessions and auth. While
 * ONLINE it only calls next(); otherwise it applies the maintenance policy
 * from memory. Once the rest of the pipeline has run it records the
 * presence of logged-in sessions (see recordPresence): one middleware,
 * because AdonisJS resolves every middleware through the container on
 * each request, which costs more than what this one does.
 */
export default class MaintenanceMiddleware {
  /**
   * The provider binds this class as a singleton with the manager, so a
   * request does no container lookup; built without it (a container that
   * does not know the binding), the manager is looked up per request.
   */
  constructor(protected manager?: MaintenanceManager) {}

  /**
   * The gate of the bound manager, once created
   */
  #gate: MaintenanceGate | null = null

  /**
   * Not async on purpose: once the gate exists, a request costs one
   * property read, the gate's decision when not ONLINE, the call to
   * next() and one promise for presence
   */
  handle(ctx: HttpContext, next: NextFn) {
    const gate = this.#gate
    if (!gate) return this.#handle(ctx, next)
    return this.#pass(ctx, next, this.manager!, gate)
  }

  /**
   * ONLINE: the rest of the pipeline; otherwise the gate's decision. Then
   * presence, either way.
   */
  #pass(ctx: HttpContext, next: NextFn, manager: MaintenanceManager, gate: MaintenanceGate) {
    if (manager.state.status !== 'online') {
      return thenRecordPresence(ctx, manager, gate.handle(ctx, next))
    }
    if (gate.stats.active) gate.stats.close()
    return thenRecordPresence(ctx, manager, next())
  }

  /**
   * Called by the provider's hook on the Node.js server for every request,
   * before AdonisJS builds its context: true when the maintenance answer
   * was written (see MaintenanceGate.answerEarly). Only once this
   * middleware has seen a request, which proves it is in the app's
   * stacks, and never while ONLINE.
   */
  answerEarly(req: IncomingMessage, res: ServerResponse): boolean {
    const gate = this.#gate
    if (!gate || this.manager!.state.status === 'online') return false
    return gate.answerEarly(req, res)
  }

  async #handle(ctx: HttpContext, next: NextFn) {
    const manager = this.manager ?? (await ctx.containerResolver.make('maintenance.manager'))
    let gate = gates.get(manager)
    if (!gate) {
      let pending = creating.get(manager)
      if (!pending) {
        pending = createGate(manager, ctx.containerResolver)
        creating.set(manager, pending)
        /**
         * A failed creation is retried by the next request, not cached
         */
        pending.catch(() => creating.delete(manager))
      }
      gate = await pending
    }
    if (this.manager) this.#gate = gate
    return this.#pass(ctx, next, manager, gate)
  }
}
