/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * What src/utils.ts held is split by job: time_input.ts (durations and
 * moments as typed), secret_hash.ts, who_am_i.ts, allow_entry.ts,
 * stores/guard_store.ts and serial_runs.ts. Import from those. These
 * re-exports remain only for the modules being reshaped in parallel
 * (maintenance_manager.ts, state_sync.ts, request_path/maintenance_gate.ts
 * and their specs); the file goes once they import from the new homes.
 */
export { hashSecret } from './secret_hash.ts'
export { whoAmI } from './who_am_i.ts'
export { SerialRuns } from './serial_runs.ts'
