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
 * Run a store operation, turning whatever its driver throws into
 * E_STORE_UNAVAILABLE; a corrupt record stays E_CORRUPT_STATE
 */
export async function guardStore<T>(store: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof errors.E_CORRUPT_STATE) throw error
    throw new errors.E_STORE_UNAVAILABLE([store, (error as Error).message])
  }
}
