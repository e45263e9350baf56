/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { catalogFromI18n } from '../i18n/app_i18n.ts'
import type { MaintenancePlugin } from './maintenance_plugin.ts'

/**
 * With @adonisjs/i18n, visitors get the app's languages and its
 * `maintenance.*` wording; the page is still rendered once per state
 * and locale
 */
export default function i18nPlugin(): MaintenancePlugin {
  return {
    async setup(manager, { app }) {
      const i18n = await app.container.make('i18n' as any)
      manager.page.useCatalog(await catalogFromI18n(i18n))
    },
  }
}
