/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { RouteGroup } from '@adonisjs/core/http'
import router from '@adonisjs/core/services/router'
import { MaintenanceAdminController, type MaintenanceAdminOptions } from './admin_controller.ts'
import { ADMIN_ACTIONS } from './admin_page.ts'

export type { MaintenanceAdminOptions }

/**
 * Mount the admin page (state, census, schedule, recent transitions, and
 * buttons for PENDING, OFFLINE, read-only and ONLINE). Who may use it is
 * required: `authorize(ctx)` or a bouncer `ability`, asked on every
 * request; without either, the page refuses everyone (403).
 *
 * ```ts
 * // start/routes.ts
 * import { maintenanceAdmin } from 'site-maintenance/admin'
 * maintenanceAdmin({
 *   prefix: '/admin/maintenance',
 *   authorize: (ctx) => ctx.auth.user?.role === 'admin',
 * }).use(middleware.auth())
 * ```
 *
 * While PENDING, OFFLINE or READ-ONLY, its requests pass the maintenance
 * gate as any other does: a session from before the drain, the role
 * bypass, the bypass secret or an allowed IP (README "Admin page").
 */
export function maintenanceAdmin(options: MaintenanceAdminOptions = {}): RouteGroup {
  const controller = new MaintenanceAdminController(options)
  return router
    .group(() => {
      router.get('/', (ctx) => controller.show(ctx)).as('show')
      for (const action of ADMIN_ACTIONS) {
        router.post(`/${action}`, (ctx) => controller.act(ctx, action)).as(action.replace('-', '_'))
      }
    })
    .prefix(options.prefix ?? '/admin/maintenance')
    .as(options.as ?? 'maintenance_admin')
}
