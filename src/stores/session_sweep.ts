/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import debug from '../debug.ts'

/**
 * Expired presence rows deleted per statement, and statements per sweep
 */
const SWEEP_BATCH_SIZE = 10_000
const SWEEP_BATCHES = 20

/**
 * Deletes the expired rows of the presence table in batches along the
 * `expires_at` index: find the expiry of the batch's last row, delete up
 * to it. No statement runs long or locks much, whatever the backlog, and
 * a session touched meanwhile has moved past `now` and stays. Bounded per
 * sweep; what is left goes with the next one. Never throws.
 */
export async function sweepExpiredSessions(
  client: QueryClientContract,
  sessionsTable: string,
  now: number
) {
  try {
    for (let batch = 0; batch < SWEEP_BATCHES; batch++) {
      const edge = await client
        .from(sessionsTable)
        .whereBetween('expires_at', [-now, now])
        .orderBy('expires_at', 'asc')
        .offset(SWEEP_BATCH_SIZE - 1)
        .limit(1)
        .select('expires_at')
        .first()
      const upTo = edge ? Math.min(Number(edge.expires_at), now) : now
      await client.from(sessionsTable).whereBetween('expires_at', [-now, upTo]).delete()
      if (!edge) return
    }
  } catch (error) {
    debug('sweeping expired sessions failed: %s', (error as Error).message)
  }
}
