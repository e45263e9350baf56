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
import type { ResolvedMaintenanceConfig } from './types.ts'

/**
 * config/maintenance.ts, resolved: its lazy store factories become the
 * stores the app configured. A plain object (not made by defineConfig)
 * is refused with the message the official packages use.
 */
export async function resolveConfig(app: ApplicationService): Promise<ResolvedMaintenanceConfig> {
  const config = await configProvider.resolve<ResolvedMaintenanceConfig>(
    app,
    app.config.get('maintenance', {})
  )
  if (!config) {
    throw new RuntimeException(
      'Invalid "config/maintenance.ts" file. Make sure you are using the "defineConfig" method'
    )
  }
  return config
}
