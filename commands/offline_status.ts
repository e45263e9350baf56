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
import { describeCensus, describeSchedule } from '../src/census_line.ts'
import { type Interrupt, runWithManager } from '../src/command_runner.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import { statusLabel } from '../src/state.ts'
import type { Census, MaintenanceState } from '../src/types.ts'
import { MAX_TIMER } from '../src/defaults.ts'
import { parseDuration } from '../src/options.ts'

/**
 * The exit codes of `--exit-code`. 1 stays Ace's and Node's code for a
 * command that failed to run (unknown flag, app boot error) and 2 means
 * the state could not be read (as grep and diff use it: trouble), so
 * neither can be taken for a state.
 */
const STATUS_EXIT_CODES = {
  online: 0,
  unknown: 2,
  pending: 3,
  offline: 4,
  readOnly: 5,
} as const

/**
 * The shortest `--interval`: each reading is a store round trip (and may
 * promote a finished drain), so a typo such as "1ms" must not hammer it
 */
const MIN_INTERVAL = 100

/**
 * One reading of the store: the state and census, or why it could not be read
 */
type Reading =
  | { state: MaintenanceState; census: Census; error?: undefined }
  | { error: Error; state?: undefined; census?: undefined }

/**
 * Print the status and the census, once or live (`--watch`). Also
 * promotes a finished drain, so a cron running it is enough to complete
 * a drain with no app running.
 */
export default class OfflineStatus extends BaseCommand {
  static commandName = 'offline:status'
  static aliases = ['offline:check']
  static description = 'Show whether the site is ONLINE, PENDING or OFFLINE, and what it waits for'
  static help = [
    'Exits 0 when the state could be read, 1 when it could not.',
    'With --exit-code, the exit code tells the state:',
    '',
    '  0  ONLINE',
    '  3  PENDING',
    '  4  OFFLINE',
    '  5  READ-ONLY',
    '  2  cannot tell (store unreachable, corrupt state)',
    '  1  the command failed (unknown flag, the app did not boot)',
    '',
    '  node ace offline:status --exit-code >/dev/null',
    '  case $? in 0) ;; 3) ;; 4) ;; 5) ;; *) echo "cannot tell" ;; esac',
    '',
    '--watch refreshes until Ctrl-C, SIGTERM or SIGHUP (exit 0): redrawn in',
    'place on a terminal, one line per change otherwise (a log), one',
    'JSON line per change with --json.',
  ]
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Print one JSON object (with --watch: one JSON line per change)' })
  declare json: boolean

  /**
   * Not `exitCode`: that is the command's own exit code
   */
  @flags.boolean({
    flagName: 'exit-code',
    description: 'Exit with the state: 0 ONLINE, 3 PENDING, 4 OFFLINE, 5 READ-ONLY, 2 cannot tell',
  })
  declare stateExitCode: boolean

  @flags.boolean({ description: 'Keep refreshing until Ctrl-C' })
  declare watch: boolean

  @flags.string({ description: 'Refresh interval of --watch ("1s", "500ms", "2"); default 1s' })
  declare interval: string | undefined

  async run() {
    if (!this.watch) {
      if (this.interval !== undefined) return this.#fail('--interval only applies with --watch')
      return runWithManager(this, (manager) => this.#once(manager), {
        onError: (error, manager) => this.#printError(error, manager),
      })
    }

    if (this.stateExitCode) {
      return this.#fail('--exit-code reports one reading: it cannot be combined with --watch')
    }
    let interval: number
    try {
      interval = parseDuration(this.interval ?? '1s', '--interval', MAX_TIMER)
    } catch (error) {
      return this.#fail((error as Error).message)
    }
    if (interval < MIN_INTERVAL) {
      return this.#fail(`--interval must be at least ${MIN_INTERVAL}ms (got "${this.interval}")`)
    }
    await runWithManager(this, (manager, interrupt) => this.#watch(manager, interrupt, interval), {
      interruptible: true,
    })
  }

  #fail(message: string) {
    this.logger.error(message)
    this.exitCode = 1
  }

  async #once(manager: MaintenanceManager) {
    const reading = await this.#read(manager)
    if (reading.error) {
      this.#printError(reading.error, manager)
      this.exitCode = this.stateExitCode ? STATUS_EXIT_CODES.unknown : 1
      return
    }
    const { state, census } = reading
    if (this.json) {
      console.log(JSON.stringify(this.#toJSON(state, census, manager)))
    } else {
      for (const line of this.#describe(state, census)) this.logger.log(line)
    }
    if (this.stateExitCode) {
      this.exitCode = state.readOnly ? STATUS_EXIT_CODES.readOnly : STATUS_EXIT_CODES[state.status]
    }
  }

  /**
   * Settle (which promotes a finished drain) and count. A store failure
   * is returned, not thrown: `--watch` keeps going through an outage.
   */
  async #read(manager: MaintenanceManager): Promise<Reading> {
    try {
      const settled = await manager.settle()
      const census = settled.census ?? (await manager.census())
      return { state: settled.state, census }
    } catch (error) {
      return { error: error as Error }
    }
  }

  /**
   * Read every `interval` until SIGINT, SIGTERM or SIGHUP. On a terminal the block
   * is redrawn in place; otherwise a line is printed only when the state or
   * the census changed, so the output can go to a log.
   */
  async #watch(manager: MaintenanceManager, interrupt: Interrupt, interval: number) {
    const redraw = process.stdout.isTTY && !this.json
    let drawn = 0
    let last: string | null = null
    while (!interrupt.interrupted) {
      const reading = await this.#read(manager)
      const at = new Date().toISOString()

      if (redraw) {
        /**
         * A line wider than the terminal wraps, and the next redraw would
         * then climb too few lines
         */
        const width = Math.max((process.stdout.columns || 80) - 1, 20)
        const lines = [
          ...this.#describeReading(reading, manager),
          `Updated ${at} (Ctrl-C to stop)`,
        ].map((line) => line.slice(0, width))
        const clear = drawn ? `\x1b[${drawn}F\x1b[0J` : ''
        process.stdout.write(`${clear}${lines.join('\n')}\n`)
        drawn = lines.length
      } else {
        const json = this.json ? this.#readingToJSON(reading, manager) : null
        const current = json
          ? JSON.stringify(json)
          : this.#describeReading(reading, manager).join(' - ')
        if (current !== last) {
          console.log(json ? JSON.stringify({ ...json, at }) : `${at} ${current}`)
          last = current
        }
      }
      await interrupt.sleep(interval)
    }
    /**
     * Ctrl-C is how a watch ends: a success, unlike the interrupted wait
     * of offline:on
     */
    this.exitCode = 0
  }

  #describe(state: MaintenanceState, census: Census) {
    const lines = [
      `Status: ${statusLabel(state)} - Active sessions: ${census.activeSessions}${census.capped ? '+' : ''}`,
      `Running tasks: ${census.runningTasks}`,
      ...(census.jobsInFlight === undefined ? [] : [`Jobs in flight: ${census.jobsInFlight}`]),
    ]
    if (state.status === 'pending' && state.deadline) {
      lines.push(`Deadline: ${new Date(state.deadline).toISOString()}`)
    }
    return [...lines, ...describeSchedule(state.schedule)]
  }

  /**
   * What `--watch` shows of one reading
   */
  #describeReading(reading: Reading, manager: MaintenanceManager) {
    if (reading.error) return [`UNKNOWN: ${reading.error.message}`, this.#errorPolicy(manager)]
    const { state, census } = reading
    const lines = [`${statusLabel(state)}: ${describeCensus(census)}`]
    if (state.status === 'pending' && state.deadline) {
      lines.push(`deadline ${new Date(state.deadline).toISOString()}`)
    }
    return lines
  }

  #toJSON(state: MaintenanceState, census: Census, manager: MaintenanceManager) {
    return {
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
      readOnly: state.readOnly === true,
      activeSessionsCapped: census.capped === true,
      schedule: state.schedule && {
        startsAt: isoOrNull(state.schedule.startsAt),
        announceAt: isoOrNull(state.schedule.announceAt),
        endsAt: isoOrNull(state.schedule.endsAt),
        force: state.schedule.force,
        readOnly: state.schedule.readOnly,
        timeout: state.schedule.timeout,
      },
      /**
       * Null when the app's queue workers are not held (site-maintenance/queue)
       */
      jobsInFlight: census.jobsInFlight ?? null,
    }
  }

  #errorToJSON(error: Error, manager: MaintenanceManager) {
    const { onStoreError, lockFile } = manager.config
    return {
      status: null,
      error: error.message,
      onStoreError,
      lockFile: lockFile || null,
      lockFilePresent: lockFile ? existsSync(lockFile) : false,
    }
  }

  #readingToJSON(reading: Reading, manager: MaintenanceManager) {
    return reading.error
      ? this.#errorToJSON(reading.error, manager)
      : this.#toJSON(reading.state, reading.census, manager)
  }

  /**
   * What the app instances do meanwhile (config onStoreError), so the
   * operator knows whether the site is up while the store is not
   */
  #errorPolicy(manager: MaintenanceManager) {
    const { onStoreError, lockFile } = manager.config
    const locked = lockFile ? existsSync(lockFile) : false
    const serving =
      onStoreError === 'offline' || locked
        ? 'OFFLINE'
        : 'their last known state, and one starting now lets requests through'
    return `Store error policy: onStoreError "${onStoreError}"; lock file ${locked ? 'present' : 'absent'}: app instances that cannot read the state ${serving === 'OFFLINE' ? 'answer as OFFLINE' : `keep ${serving}`}`
  }

  #printError(error: Error, manager: MaintenanceManager) {
    if (this.json) {
      console.log(JSON.stringify(this.#errorToJSON(error, manager)))
      return
    }
    this.logger.error(error.message)
    this.logger.log(this.#errorPolicy(manager))
  }
}

function isoOrNull(time: number | null) {
  return time === null ? null : new Date(time).toISOString()
}
