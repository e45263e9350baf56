/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { args, flags } from '@adonisjs/core/ace'
import { ActivationCommand } from '../src/activation_command.ts'
import { describeCensus } from '../src/census_line.ts'
import { STOP_SIGNALS, runWithManager, type Interrupt } from '../src/command_runner.ts'
import { waitForDrain } from '../src/drain_wait.ts'
import { statusLabel } from '../src/state.ts'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'

/**
 * Drain, run one command with the site OFFLINE, and bring the site back
 * ONLINE when it succeeds: a deploy script's migration in one line
 */
export default class OfflineRun extends ActivationCommand {
  static commandName = 'offline:run'
  static description =
    'Drain, run a command (after --) with the site OFFLINE, and bring it back ONLINE when the command succeeds'
  static help = [
    'node ace offline:run --timeout=10m -- node ace migration:run --force',
    'The command runs without a shell; its exit code is this command’s.',
    'It fails: the site stays OFFLINE (--online-on-failure brings it back).',
    'Ctrl-C, SIGTERM or SIGHUP while draining: the site goes back ONLINE if this command took it down.',
    'Ctrl-C, SIGTERM or SIGHUP while the command runs: passed on to it; it then counts as failed.',
  ]
  @args.spread({ description: 'The command to run and its arguments', required: false })
  declare commandLine?: string[]

  @flags.boolean({ description: 'Bring the site back ONLINE even when the command fails' })
  declare onlineOnFailure: boolean

  async run() {
    if (!this.commandLine?.length) {
      this.logger.error(
        'Give the command to run after --, e.g. node ace offline:run -- node ace migration:run --force'
      )
      this.exitCode = 1
      return
    }
    await runWithManager(this, (manager, interrupt) => this.#run(manager, interrupt), {
      interruptible: true,
    })
  }

  async #run(manager: MaintenanceManager, interrupt: Interrupt) {
    const activated = await manager.activate(this.activateOptions())
    if (activated.state.status === 'pending') {
      this.logger.info(
        `The site is PENDING: ${describeCensus(activated.census ?? (await manager.census()))}. New logins are refused.`
      )
      const { outcome } = await waitForDrain(this, manager, interrupt)
      if (outcome === 'cancelled') {
        this.logger.error('The drain was cancelled (offline:off): the command was not run')
        this.exitCode = 1
        return
      }
    }
    if (interrupt.interrupted) {
      await this.#interruptedBeforeRun(manager, activated.changed, interrupt)
      return
    }

    this.logger.success(
      `The site is ${statusLabel(manager.state)}; running: ${this.commandLine!.join(' ')}`
    )
    const code = await this.#execute(interrupt)
    if (code === 0) {
      await manager.deactivate()
      this.logger.success('The command succeeded; the site is ONLINE')
      return
    }
    this.exitCode = code
    if (this.onlineOnFailure) {
      await manager.deactivate()
      this.logger.warning(
        `The command failed (exit code ${code}); the site is ONLINE (--online-on-failure)`
      )
      return
    }
    this.logger.error(
      `The command failed (exit code ${code}); the site stays ${statusLabel(manager.state)}. Fix it, then run "node ace offline:off"`
    )
  }

  /**
   * Nothing has run yet: undo what this command did, and only that
   */
  async #interruptedBeforeRun(
    manager: MaintenanceManager,
    tookDown: boolean,
    interrupt: Interrupt
  ) {
    this.exitCode = interrupt.exitCode
    if (tookDown) {
      await manager.deactivate()
      this.logger.warning(
        `Stopped (${interrupt.signal}) before the command ran; the site is ONLINE again`
      )
      return
    }
    this.logger.warning(
      `Stopped (${interrupt.signal}) before the command ran; the site was already in maintenance and stays ${manager.status.toUpperCase()}`
    )
  }

  /**
   * Run the command without a shell, its output on ours. Its exit code,
   * 128 + the signal number when a signal ended it, 127 when it cannot be
   * started. SIGTERM is passed on; so are SIGINT and SIGHUP when no
   * terminal sent them to the whole process group already.
   */
  #execute(interrupt: Interrupt): Promise<number> {
    const [file, ...rest] = this.commandLine!
    return new Promise((resolve) => {
      const child = spawn(file, rest, { stdio: 'inherit' })
      const forward = (signal: NodeJS.Signals) => {
        if (signal === 'SIGTERM' || !process.stdin.isTTY) child.kill(signal)
      }
      for (const signal of STOP_SIGNALS) process.on(signal, forward)
      const done = (code: number) => {
        for (const signal of STOP_SIGNALS) process.off(signal, forward)
        resolve(code)
      }
      child.on('error', (error) => {
        this.logger.error(`Cannot run ${file}: ${error.message}`)
        done(127)
      })
      child.on('close', (code, signal) => {
        done(code ?? 128 + (signal ? constants.signals[signal] : 0))
      })
      /**
       * A signal that arrived before the child existed
       */
      if (interrupt.interrupted) forward(interrupt.signal!)
    })
  }
}
