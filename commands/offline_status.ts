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
import { runWithManager } from '../src/command_runner.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'

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
    await runWithManager(this, (manager) => this.#print(manager), {
      onError: (error, manager) => this.#printError(error, manager),
    })
  }

  async #print(manager: MaintenanceManager) {
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
  }

  /**
   * What the app instances do meanwhile (config onStoreError), so the
   * operator knows whether the site is up while the store is not
   */
  #printError(error: Error, manager: MaintenanceManager) {
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
          error: error.message,
          onStoreError,
          lockFile: lockFile || null,
          lockFilePresent: locked,
        })
      )
      return
    }
    this.logger.error(error.message)
    this.logger.log(
      `Store error policy: onStoreError "${onStoreError}"; lock file ${locked ? 'present' : 'absent'}: app instances that cannot read the state ${serving === 'OFFLINE' ? 'answer as OFFLINE' : `keep ${serving}`}`
    )
  }
}
