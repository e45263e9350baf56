/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { MaintenanceStoreContract, ResolvedMaintenanceConfig } from '../../src/types.ts'

/**
 * A resolved config over one store, with the package defaults
 */
export function benchConfig(
  store: MaintenanceStoreContract,
  overrides: Partial<ResolvedMaintenanceConfig> = {}
): ResolvedMaintenanceConfig {
  return {
    default: 'bench',
    stores: { bench: () => store },
    lockFile: false,
    refreshInterval: 1000,
    drainTimeout: null,
    sessionIdleAge: 2 * 60 * 60 * 1000,
    presenceInterval: 60_000,
    taskTimeout: 120_000,
    retryAfter: 60,
    message: 'Back soon',
    allowedPaths: [],
    allow: [],
    bypassCookie: 'site_maintenance_bypass',
    earlyAnswer: true,
    staticPage: false,
    view: 'site_maintenance/page',
    authSessionKey: 'auth_web',
    onStoreError: 'last-known',
    ...overrides,
  }
}
