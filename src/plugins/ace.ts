/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { holdMarkedCommands } from '../background/command_hold.ts'
import type { MaintenancePlugin } from './maintenance_plugin.ts'

/**
 * Commands marked `static maintenance = 'hold'` do not run while the site
 * is PENDING or OFFLINE: in a console process the kernel running this
 * command, elsewhere the one the app resolves later (the REPL, tests)
 */
export default function acePlugin(): MaintenancePlugin {
  return {
    async boot({ app, manager }) {
      if (app.getEnvironment() === 'console') {
        holdMarkedCommands(await app.container.make('ace'), manager)
      } else {
        app.container.resolving('ace', (kernel) => holdMarkedCommands(kernel, manager))
      }
    },
  }
}
