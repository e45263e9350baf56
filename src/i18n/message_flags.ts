/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import * as errors from '../errors.ts'

/**
 * The `--message-in=fr:De retour bientôt` flags as messages per locale;
 * undefined when none was given. The text may hold colons: only the
 * first one ends the locale.
 */
export function parseMessageFlags(entries: string[] | undefined) {
  if (!entries?.length) return undefined
  const messages: Record<string, string> = {}
  for (const entry of entries) {
    const colon = entry.indexOf(':')
    if (colon <= 0) {
      throw new errors.E_INVALID_OPTION([
        `Invalid --message-in "${entry.slice(0, 40)}": write the locale, a colon, then the text ("fr:De retour bientôt")`,
      ])
    }
    messages[entry.slice(0, colon).trim()] = entry.slice(colon + 1).trim()
  }
  return messages
}
