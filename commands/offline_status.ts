/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/**
 * Print the status and the census. Also promotes a finished drain, so
 * a cron running it is enough to complete a drain with no app running.
 */
export default class OfflineStatus extends BaseCommand {
  static commandName = 'offline:status'
  static aliases = ['offline:check']
  static description = 'Show whether the site is ONLINE, PENDING or OFFLINE, and what it waits for'
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print one JSON object' })
  declare json: boolean

  async run() {
    const manager = await this.app.container.make('maintenance.manager')
    try {
      const { state } = await manager.settle()
      const census = await manager.census()
      if (this.json) {
        console.log(
          JSON.stringify({
            status: state.status,
            activeSessions: census.activeSessions,
            runningTasks: census.runningTasks,
            since: state.since ? new Date(state.since).toISOString() : null,
            deadline: state.deadline ? new Date(state.deadline).toISOString() : null,
            message: state.message,
            retryAfter: state.retryAfter,
            redirect: state.redirect,
            forced: state.forced,
            requestedBy: state.requestedBy,
            bypassSecret: state.secretHash !== null,
            allow: state.allow,
            store: manager.store.name,
            lockFile: manager.config.lockFile || null,
          })
        )
        return
      }
      this.logger.log(
        `Status: ${state.status.toUpperCase()} - Active sessions: ${census.activeSessions}`
      )
      this.logger.log(`Running tasks: ${census.runningTasks}`)
      if (state.status === 'pending' && state.deadline) {
        this.logger.log(`Deadline: ${new Date(state.deadline).toISOString()}`)
      }
    } catch (error) {
      /**
       * What the app instances do meanwhile (config onStoreError), so the
       * operator knows whether the site is up while the store is not
       */
      const { onStoreError, lockFile } = manager.config
      const locked = lockFile ? existsSync(lockFile) : false
      const serving =
        onStoreError === 'offline' || locked
          ? 'OFFLINE'
          : 'their last known state, and one starting now lets requests through'
      if (this.json) {
        console.log(
          JSON.stringify({
            status: null,
            error: (error as Error).message,
            onStoreError,
            lockFile: lockFile || null,
            lockFilePresent: locked,
          })
        )
      } else {
        this.logger.error((error as Error).message)
        this.logger.log(
          `Store error policy: onStoreError "${onStoreError}"; lock file ${locked ? 'present' : 'absent'}: app instances that cannot read the state ${serving === 'OFFLINE' ? 'answer as OFFLINE' : `keep ${serving}`}`
        )
      }
      this.exitCode = 1
    } finally {
      await manager.stop()
    }
  }
}
