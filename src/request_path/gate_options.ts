/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ApplicationService } from '@adonisjs/core/types'
import type { MaintenanceGate } from './maintenance_gate.ts'
import { sessionCookieName } from './presence_marker.ts'

type GateOptions = ConstructorParameters<typeof MaintenanceGate>[1]

/**
 * What the gate takes from the app's config: the session cookie that
 * marks a visitor, the public URL behind a proxy, and method spoofing
 * (a spoofed POST is a write)
 */
export async function gateOptions(
  app: ApplicationService,
  logger: GateOptions['logger'],
  openPaths: readonly string[]
): Promise<GateOptions> {
  return {
    sessionCookie: await sessionCookieName(app),
    logger,
    appUrl: app.config.get<string | undefined>('app.appUrl', process.env.APP_URL),
    openPaths,
    methodSpoofing: app.config.get<boolean>('app.http.allowMethodSpoofing', false),
  }
}
