/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { hostname, userInfo } from 'node:os'

/**
 * "user@host (pid N)", recorded with every transition
 */
export function whoAmI(): string {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {}
  return `${user}@${hostname()} (pid ${process.pid})`
}
