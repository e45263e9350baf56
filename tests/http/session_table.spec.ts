/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { join } from 'node:path'
import { test } from '@japa/runner'
import { createFixtureApp, startServer } from '../fixture_app.ts'
import { openSqlite } from '../../support/database.ts'
import { createTables } from '../helpers.ts'
import { Client, countRows, login, prepareDatabase, waitFor, waitForLockFile } from './helpers.ts'

/**
 * The census over @adonisjs/session's own table: the database maintenance
 * store with `sessionTable: 'sessions'`, and the session database store
 */
test.group('HTTP | census from the sessions table', () => {
  test('a login tags its session row; its logout ends the drain', async ({ assert, cleanup }) => {
    const app = await createFixtureApp('file')
    const sqlite = join(app.directory, 'app.sqlite3')
    await prepareDatabase(sqlite)

    const db = openSqlite(sqlite)
    cleanup(() => db.manager.closeAll())
    await createTables(db, 'sqlite', 'maintenance')

    Object.assign(app.env, {
      MAINTENANCE_STORE: 'database',
      DB_CONNECTION: 'sqlite',
      SQLITE_FILE: sqlite,
      MAINTENANCE_TABLE_PREFIX: 'maintenance',
      MAINTENANCE_SESSION_TABLE: 'sessions',
    })
    const server = await startServer(app, { SESSION_DRIVER: 'database' })

    const anonymous = new Client(server)
    assert.equal(await anonymous.status('/'), 200)

    const { client: user } = await login(server)
    assert.equal(await user.status('/dashboard'), 200)
    await waitFor('the tagged session row', async () => {
      const rows = await countRows(sqlite, 'sessions')
      const anonymousRows = await countRows(sqlite, 'sessions', { user_id: null })
      return rows - anonymousRows === 1
    })
    assert.equal(await countRows(sqlite, 'maintenance_sessions'), 0, 'no presence records')

    const on = await app.ace(['offline:on', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    assert.include(on.stdout, 'The site is PENDING: 1 active session', 'anonymous rows not counted')
    assert.equal(await user.status('/dashboard'), 200)

    const logout = await user.request('POST', '/logout')
    assert.oneOf(logout.status, [200, 302])
    await waitForLockFile(app, true)
    assert.equal(await user.status('/dashboard'), 503)
  })
})
