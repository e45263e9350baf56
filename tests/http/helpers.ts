/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { USER, openSqlite, prepareDatabase } from '../../support/database.ts'
import { Client } from '../../support/http_client.ts'
import {
  createFixtureApp,
  startServer,
  type FixtureApp,
  type RunningServer,
} from '../fixture_app.ts'

export { USER, OTHER_USER, prepareDatabase } from '../../support/database.ts'
export { Client, type HttpResult } from '../../support/http_client.ts'

/**
 * Count the rows of a table in the fixture app's SQLite file
 */
export async function countRows(filename: string, table: string, where?: Record<string, unknown>) {
  const db = openSqlite(filename)
  try {
    const query = db.from(table)
    if (where) query.where(where)
    const row = await query.count('* as total').first()
    return Number(row?.total ?? 0)
  } finally {
    await db.manager.closeAll()
  }
}

/**
 * The fixture app on one maintenance store, its database prepared and its
 * HTTP server started
 */
export async function bootSite(
  store: 'file' | 'redis',
  env: Record<string, string> = {}
): Promise<{ app: FixtureApp; server: RunningServer; sqlite: string }> {
  const app = await createFixtureApp(store)
  const sqlite = join(app.directory, 'app.sqlite3')
  app.env.SQLITE_FILE = sqlite
  app.env.MAINTENANCE_STATIC_PAGE = join(app.directory, 'maintenance.html')
  await prepareDatabase(sqlite)
  const server = await startServer(app, env)
  return { app, server, sqlite }
}

/**
 * Log a user in from a fresh client
 */
export async function login(server: RunningServer, localAddress?: string, user = USER) {
  const client = new Client(server, localAddress)
  const response = await client.request('POST', '/login', { form: user })
  return { client, response }
}

/**
 * Poll until `check` holds (bounded)
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeout = 10_000
) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeout) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Wait until the server answers anonymous visitors with `status`: the
 * state written by an Ace command has reached the app
 */
export function waitForStatus(server: RunningServer, status: number, path = '/', timeout?: number) {
  return waitFor(
    `${path} to answer ${status}`,
    async () => {
      const response = await new Client(server).get(path)
      return response.status === status
    },
    timeout
  )
}

/**
 * Wait until the lock file exists (OFFLINE) or not
 */
export function waitForLockFile(app: FixtureApp, present: boolean, timeout?: number) {
  return waitFor(
    `the lock file to be ${present ? 'created' : 'removed'}`,
    () => existsSync(app.lockFile) === present,
    timeout
  )
}
