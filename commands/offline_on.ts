/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes } from 'node:crypto'
import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import string from '@adonisjs/core/helpers/string'
import { describeCensus } from '../src/census_line.ts'
import { runWithManager, type Interrupt } from '../src/command_runner.ts'
import { statusLabel } from '../src/state.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import type { ActivateOptions } from '../src/types.ts'
import { toMilliseconds } from '../src/utils.ts'

/**
 * Take the site offline: stop new logins, let logged-in sessions and
 * registered commands finish, then go OFFLINE
 */
export default class OfflineOn extends BaseCommand {
  static commandName = 'offline:on'
  static aliases = ['offline:activate']
  static description =
    'Take the site offline gracefully: drain logged-in sessions and running commands, then go OFFLINE'
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Go OFFLINE at once, without waiting for the drain' })
  declare force: boolean

  @flags.boolean({
    description: 'Wait until the site is OFFLINE',
    default: true,
    showNegatedVariantInHelp: true,
  })
  declare wait: boolean

  @flags.string({ description: 'Drain deadline ("30s", "15m"); defaults to the session idle age' })
  declare timeout?: string

  @flags.string({ description: 'Message shown on the maintenance page and the banner' })
  declare message?: string

  @flags.string({ description: 'Retry-After value: seconds, or an HTTP date' })
  declare retry?: string

  @flags.string({
    description:
      'Bypass secret (16 to 128 letters, digits, - and _); "-" reads it from stdin; empty takes $MAINTENANCE_SECRET or generates one',
    allowEmptyValue: true,
  })
  declare secret?: string

  @flags.array({ description: 'IP address or CIDR range allowed through (repeatable)' })
  declare allow?: string[]

  @flags.string({ description: 'Redirect refused requests to this URL instead of answering 503' })
  declare redirect?: string

  @flags.boolean({
    description:
      'Go READ-ONLY at once: GET, HEAD and OPTIONS keep working for everyone, writes get the maintenance answer (no drain, no lock file)',
  })
  declare readOnly: boolean

  async run() {
    await runWithManager(this, (manager, interrupt) => this.#run(manager, interrupt), {
      interruptible: true,
    })
  }

  async #run(manager: MaintenanceManager, interrupt: Interrupt) {
    const options: ActivateOptions = {
      force: this.force,
      message: this.message,
      redirect: this.redirect,
      allow: this.allow,
      readOnly: this.readOnly,
    }
    if (this.timeout !== undefined) options.timeout = toMilliseconds(this.timeout, '--timeout')
    if (this.retry !== undefined) options.retryAfter = this.retry

    let generatedSecret: string | null = null
    if (this.secret === '-') {
      options.secret = await readStdinLine()
    } else if (this.secret === '' && process.env.MAINTENANCE_SECRET) {
      options.secret = process.env.MAINTENANCE_SECRET
    } else if (this.secret === '') {
      /**
       * 40 characters: long enough for the web servers' bypass too
       * (`offline:snippet --secret`)
       */
      options.secret = generatedSecret = randomBytes(30).toString('base64url')
    } else if (this.secret !== undefined) {
      options.secret = this.secret
    }

    const result = await manager.activate(options)
    const state = result.state

    if (generatedSecret && result.changed) {
      this.logger.info(`Bypass secret (shown once): ${generatedSecret}`)
    }
    if (!result.changed) {
      this.logger.info(`The site is already ${statusLabel(state)}`)
      if (state.status === 'offline') return
    }
    if (state.readOnly) {
      this.logger.success(
        'The site is READ-ONLY: GET, HEAD and OPTIONS requests keep working for everyone, other requests get the maintenance answer (no lock file)'
      )
      return
    }
    if (state.status === 'offline') {
      this.#announceOffline(manager)
      return
    }

    this.logger.info(
      `The site is PENDING: ${describeCensus(result.census ?? (await manager.census()))}. New logins are refused.`
    )
    if (!this.wait) {
      this.logger.info(
        `It goes OFFLINE on its own when they finish, or at ${new Date(state.deadline!).toISOString()}`
      )
      return
    }
    await this.#waitForDrain(manager, interrupt)
  }

  /**
   * Poll the drain until OFFLINE. Ctrl-C or SIGTERM stops waiting only:
   * the state record holds the deadline, so the site still goes OFFLINE
   * without us. A drain cancelled by offline:off fails the command, so
   * `offline:on && deploy` never deploys onto an ONLINE site.
   */
  async #waitForDrain(manager: MaintenanceManager, interrupt: Interrupt) {
    const interval = Math.min(Math.max(manager.config.refreshInterval, 100), 1000)
    let lastLine = ''
    while (!interrupt.interrupted) {
      const { state, census } = await manager.settle()
      if (state.status === 'offline') {
        this.#clearLine()
        this.#announceOffline(manager)
        return
      }
      if (state.status === 'online') {
        this.#clearLine()
        const by = state.requestedBy ? ` by ${state.requestedBy}` : ''
        this.logger.error(`The drain was cancelled: the site is ONLINE again (offline:off${by})`)
        this.exitCode = 1
        return
      }
      const left = Math.max(0, Math.ceil((state.deadline! - Date.now()) / 1000))
      const line = `${describeCensus(census ?? (await manager.census()))} — ${string.seconds.format(left, true)} left`
      if (process.stdout.isTTY) {
        process.stdout.write(`\r\x1b[2K${line}`)
      } else if (line.replace(/ — .*$/, '') !== lastLine.replace(/ — .*$/, '')) {
        this.logger.log(line)
      }
      lastLine = line
      await interrupt.sleep(interval)
    }
    this.#clearLine()
    this.logger.warning(
      `Stopped waiting (${interrupt.signal}). The site stays PENDING and goes OFFLINE on its own when the drain ends or the deadline passes. Run "node ace offline:off" to cancel.`
    )
    this.exitCode = interrupt.exitCode
  }

  #clearLine() {
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K')
  }

  #announceOffline(manager: MaintenanceManager) {
    const lockFile = manager.config.lockFile
    this.logger.success(`The site is OFFLINE${lockFile ? ` (lock file ${lockFile})` : ''}`)
  }
}

/**
 * The first line of stdin, so a secret stays out of `ps` and the shell
 * history (`pass show site | node ace offline:on --secret=-`)
 */
async function readStdinLine(): Promise<string> {
  let data = ''
  for await (const chunk of process.stdin) {
    data += chunk
    if (data.includes('\n')) break
  }
  return data.split(/\r?\n/)[0].trim()
}
