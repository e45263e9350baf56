/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { BaseCommand } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import { runWithManager } from '../src/command_runner.ts'

/**
 * Bring the site back ONLINE from PENDING or OFFLINE
 */
export default class OfflineOff extends BaseCommand {
  static commandName = 'offline:off'
  static aliases = ['offline:deactivate']
  static description = 'Bring the site back ONLINE'
  static options: CommandOptions = { startApp: true }

  async run() {
    await runWithManager(this, async (manager) => {
      const { changed } = await manager.deactivate()
      if (changed) this.logger.success('The site is ONLINE')
      else this.logger.info('The site is already ONLINE')
    })
  }
}
