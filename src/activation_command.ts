/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import type { ActivateOptions } from './types.ts'
import { parseDuration } from './options.ts'

/**
 * The flags of the commands that take the site down (offline:on,
 * offline:run), declared once so they read and check the same
 */
export abstract class ActivationCommand extends BaseCommand {
  static options: CommandOptions = { startApp: true }

  @flags.boolean({ description: 'Go OFFLINE at once, without waiting for the drain' })
  declare force: boolean

  @flags.string({ description: 'Drain deadline ("30s", "15m"); defaults to the session idle age' })
  declare timeout?: string

  @flags.string({ description: 'Message shown on the maintenance page and the banner' })
  declare message?: string

  @flags.string({ description: 'Retry-After value: seconds, or an HTTP date' })
  declare retry?: string

  @flags.boolean({
    description:
      'Go READ-ONLY at once: GET, HEAD and OPTIONS keep working for everyone, writes get the maintenance answer (no drain, no lock file)',
  })
  declare readOnly: boolean

  /**
   * The options these flags stand for; a malformed duration throws
   * naming its flag
   */
  protected activateOptions(): ActivateOptions {
    const options: ActivateOptions = {
      force: this.force,
      message: this.message,
      readOnly: this.readOnly,
    }
    if (this.timeout !== undefined) options.timeout = parseDuration(this.timeout, '--timeout')
    if (this.retry !== undefined) options.retryAfter = this.retry
    return options
  }
}
