/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type DatabaseName,
  connectionsFor,
  createTables,
  dropTables,
  openDatabase,
  tableNames,
} from '../../support/database.ts'

export { createTables, dropTables, tableNames }
export type { TableNames } from '../../support/database.ts'

export const BENCH_DATABASES = ['pg', 'mysql', 'sqlite'] as const satisfies readonly DatabaseName[]
export type BenchDatabase = (typeof BENCH_DATABASES)[number]

export const SQLITE_FILE = join(tmpdir(), `site-maintenance-bench-${process.pid}.sqlite3`)

/**
 * The local services bin/setup.ts brings up (loopback only), the same
 * connections as the tests with a SQLite file of the bench's own
 */
export const connections = connectionsFor(SQLITE_FILE)

export function createDatabase(name: BenchDatabase) {
  return openDatabase(name, connections)
}
