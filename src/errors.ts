/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createError } from '@adonisjs/core/exceptions'

/**
 * A duration flag or option that cannot be parsed ("15 mins", "-3s")
 */
export const E_INVALID_DURATION = createError<[string, string]>(
  'Invalid duration "%s" for %s. Use a number of seconds or a value such as "30s", "15m", "2h"',
  'E_INVALID_DURATION'
)

/**
 * An allow-list entry that is neither an IP address nor a CIDR range
 */
export const E_INVALID_ALLOW_ENTRY = createError<[string]>(
  'Invalid --allow value "%s". Use an IP address or a CIDR range such as 203.0.113.0/24 or 2001:db8::/32',
  'E_INVALID_ALLOW_ENTRY'
)

/**
 * Any other bad option given to offline:on or the manager
 */
export const E_INVALID_OPTION = createError<[string]>('%s', 'E_INVALID_OPTION')

/**
 * The store could not be reached or answered with an error
 */
export const E_STORE_UNAVAILABLE = createError<[string, string]>(
  'The maintenance store "%s" is unavailable: %s',
  'E_STORE_UNAVAILABLE'
)

/**
 * The stored state cannot be parsed. Never read as ONLINE.
 */
export const E_CORRUPT_STATE = createError<[string, string]>(
  'The maintenance state in %s is corrupt (%s). "node ace offline:off" or "node ace offline:on --force" replaces it',
  'E_CORRUPT_STATE'
)

/**
 * Too many writers raced a transition
 */
export const E_CONCURRENT_UPDATE = createError(
  'The maintenance state kept changing while it was being updated; try again',
  'E_CONCURRENT_UPDATE'
)

/**
 * CommandTask refused to start because the site is going or gone offline
 */
export const E_SITE_IN_MAINTENANCE = createError<[string, string]>(
  'Cannot start "%s": the site is %s. Use { force: true } to run it anyway',
  'E_SITE_IN_MAINTENANCE'
)
