/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import app from '@adonisjs/core/services/app'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'

let maintenance: MaintenanceManager

/**
 * Returns a singleton instance of the maintenance manager
 */
await app.booted(async () => {
  maintenance = await app.container.make('maintenance.manager')
})

export { maintenance as default }
