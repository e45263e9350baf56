/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { flags } from '@adonisjs/core/ace'
import { ActivationCommand } from '../src/activation_command.ts'
import { describeCensus, describeSchedule } from '../src/census_line.ts'
import { parseMessageFlags } from '../src/i18n/message_flags.ts'
import { waitForDrain } from '../src/drain_wait.ts'
import { runWithManager, type Interrupt } from '../src/command_runner.ts'
import { statusLabel } from '../src/state.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import type { ActivateOptions, MaintenanceSchedule } from '../src/types.ts'
import { parseDuration, parseMoment } from '../src/options.ts'
import { secretFromFlag } from '../src/secret_flag.ts'

/**
 * Take the site offline: stop new logins, let logged-in sessions and
 * registered commands finish, then go OFFLINE
 */
export default class OfflineOn extends ActivationCommand {
  static commandName = 'offline:on'
  static aliases = ['offline:activate']
  static description =
    'Take the site offline gracefully: drain logged-in sessions and running commands, then go OFFLINE'
  @flags.boolean({
    description: 'Wait until the site is OFFLINE',
    default: true,
    showNegatedVariantInHelp: true,
  })
  declare wait: boolean

  @flags.string({
    description:
      'Bypass secret (16 to 128 letters, digits, - and _); "-" reads it from stdin; empty takes $MAINTENANCE_SECRET or generates one',
    allowEmptyValue: true,
  })
  declare secret?: string

  @flags.array({ description: 'IP address or CIDR range allowed through (repeatable)' })
  declare allow?: string[]

  @flags.array({
    description:
      'Message for the visitors of one language: --message-in=fr:"De retour bientôt" (repeatable)',
  })
  declare messageIn?: string[]

  @flags.string({ description: 'Redirect refused requests to this URL instead of answering 503' })
  declare redirect?: string

  @flags.string({
    description:
      'Schedule the window instead of starting it now: an ISO date-time with its zone, or "in 30m"',
  })
  declare at?: string

  @flags.string({ description: 'With --at: show the banner this long before the start ("30m")' })
  declare announce?: string

  @flags.string({
    description:
      'Come back ONLINE by itself then: an ISO date-time, "in 2h", or a duration after the start ("2h")',
  })
  declare until?: string

  async run() {
    await runWithManager(this, (manager, interrupt) => this.#run(manager, interrupt), {
      interruptible: true,
    })
  }

  async #run(manager: MaintenanceManager, interrupt: Interrupt) {
    const options: ActivateOptions = {
      ...this.activateOptions(),
      redirect: this.redirect,
      allow: this.allow,
      messages: parseMessageFlags(this.messageIn),
    }
    const now = Date.now()
    if (this.at !== undefined) options.at = parseMoment(this.at, '--at', now)
    if (this.announce !== undefined) {
      options.announce = parseDuration(this.announce, '--announce')
    }
    if (this.until !== undefined) {
      options.until = parseMoment(this.until, '--until', options.at ?? now, true)
    }

    const { secret, generated } = await secretFromFlag(this.secret)
    if (secret !== undefined) options.secret = secret
    const generatedSecret = generated ? secret : null

    const result = await manager.activate(options)
    const state = result.state
    const endedBefore = result.previous.schedule?.endsAt ?? null
    if (result.changed && endedBefore !== null && !state.schedule?.endsAt) {
      this.logger.info(
        `The read-only window's end (${new Date(endedBefore).toISOString()}) no longer applies: the site stays down until "node ace offline:off" (or give --until)`
      )
    }

    if (generatedSecret && result.changed) {
      this.logger.info(`Bypass secret (shown once): ${generatedSecret}`)
    }
    if (state.status === 'online' && state.schedule?.startsAt) {
      this.#announceSchedule(state.schedule)
      return
    }
    if (!result.changed) {
      this.logger.info(`The site is already ${statusLabel(state)}`)
      if (state.status === 'offline') return
    }
    if (result.changed && state.schedule?.endsAt) {
      this.logger.info(`Back ONLINE by itself at: ${new Date(state.schedule.endsAt).toISOString()}`)
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
   * Poll the drain until OFFLINE. Ctrl-C, SIGTERM or SIGHUP stops waiting only:
   * the state record holds the deadline, so the site still goes OFFLINE
   * without us. A drain cancelled by offline:off fails the command, so
   * `offline:on && deploy` never deploys onto an ONLINE site.
   */
  async #waitForDrain(manager: MaintenanceManager, interrupt: Interrupt) {
    const { outcome, state } = await waitForDrain(this, manager, interrupt)
    if (outcome === 'offline') {
      this.#announceOffline(manager)
    } else if (outcome === 'cancelled') {
      const by = state.requestedBy ? ` by ${state.requestedBy}` : ''
      this.logger.error(`The drain was cancelled: the site is ONLINE again (offline:off${by})`)
      this.exitCode = 1
    } else {
      this.logger.warning(
        `Stopped waiting (${interrupt.signal}). The site stays PENDING and goes OFFLINE on its own when the drain ends or the deadline passes. Run "node ace offline:off" to cancel.`
      )
      this.exitCode = interrupt.exitCode
    }
  }

  #announceSchedule(schedule: MaintenanceSchedule) {
    this.logger.success('Maintenance scheduled')
    for (const line of describeSchedule(schedule)) this.logger.info(line)
    this.logger.info('The site stays ONLINE until then; "node ace offline:off" cancels it')
  }

  #announceOffline(manager: MaintenanceManager) {
    const lockFile = manager.config.lockFile
    this.logger.success(`The site is OFFLINE${lockFile ? ` (lock file ${lockFile})` : ''}`)
  }
}
