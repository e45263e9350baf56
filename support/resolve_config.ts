/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { configProvider } from '@adonisjs/core'
import type { ApplicationService } from '@adonisjs/core/types'
import { defineConfig } from '../src/define_config.ts'
import type {
  MaintenanceConfig,
  MaintenanceStoreContract,
  MaintenanceStoreFactoryProvider,
  ResolvedMaintenanceConfig,
} from '../src/types.ts'

/**
 * `defineConfig`'s options but the stores: durations are strings ('50ms',
 * '1m') or seconds
 */
export type ConfigOptions = Omit<
  Partial<MaintenanceConfig<Record<string, MaintenanceStoreFactoryProvider>>>,
  'default' | 'stores'
>

/**
 * All the resolver reads of the app: paths under its root, and
 * config/session.ts (none here, so the default session idle age). An app
 * of AppFactory has no config until it boots.
 */
const APP_ROOT = fileURLToPath(new URL('../tmp/', import.meta.url))
const app = {
  appRoot: new URL('../tmp/', import.meta.url),
  makePath: (...paths: string[]) => join(APP_ROOT, ...paths),
  config: { get: (_key: string, fallback?: unknown) => fallback },
} as unknown as ApplicationService

/**
 * The config `defineConfig` resolves over one store instance, with the
 * package defaults (src/defaults.ts) and no lock file or static page
 * unless asked. Shared by the tests and the benchmarks (no test-runner
 * import here, so bench/ can use it too).
 */
export async function resolveConfig(
  store: MaintenanceStoreContract,
  options: ConfigOptions = {}
): Promise<ResolvedMaintenanceConfig> {
  const config = defineConfig({
    default: 'main',
    stores: { main: configProvider.create(async () => () => store) },
    lockFile: false,
    staticPage: false,
    ...options,
  })
  return (await configProvider.resolve<ResolvedMaintenanceConfig>(app, config))!
}
