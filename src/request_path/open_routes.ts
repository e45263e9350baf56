/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { Route } from '@adonisjs/core/http'
import type { RouteJSON } from '@adonisjs/core/types/http'
/**
 * The `Route.maintenanceOpen()` declaration lives with the package's types
 */
import type {} from '../types.ts'

/**
 * The routes marked with `maintenanceOpen()`. Kept here rather than on
 * the route (its JSON has no room for it), so marked routes cost nothing
 * per request: the gate looks them up only for refused requests.
 */
const marked = new Set<Route>()

/**
 * The handlers of the marked routes by "domain method pattern", built on
 * first use (the routes are committed by then: groups have added their
 * prefixes). Both must match: a route defined twice opens only the one
 * marked.
 */
let keys: Map<string, unknown> | null = null

function keyOf(route: Pick<RouteJSON, 'domain' | 'pattern'>, method: string) {
  return `${route.domain} ${method} ${route.pattern}`
}

Route.macro('maintenanceOpen', function (this: Route) {
  marked.add(this)
  keys = null
  return this
})

/**
 * Whether any route is marked open
 */
export function hasOpenRoutes() {
  return marked.size > 0
}

/**
 * Whether the matched route was marked with `maintenanceOpen()` for this
 * method
 */
export function isMarkedOpen(route: RouteJSON, method: string): boolean {
  if (marked.size === 0) return false
  if (keys === null) {
    keys = new Map()
    for (const one of marked) {
      const json = one.toJSON()
      for (const each of json.methods) keys.set(keyOf(json, each), json.handler)
    }
  }
  const handler = keys.get(keyOf(route, method))
  return handler !== undefined && handler === route.handler
}
