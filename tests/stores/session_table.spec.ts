/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { DatabaseStore } from '../../src/stores/database.ts'
import { DATABASES, createDatabase } from '../helpers.ts'

/**
 * The census over @adonisjs/session's own `sessions` table, created as
 * its `make:session-table` migration does
 */
test.group('Database store | @adonisjs/session table census', () => {
  test('{$self}: counts logged-in, unexpired session rows only')
    .with([...DATABASES])
    .run(async ({ assert, cleanup }, name) => {
      const db = createDatabase(name)
      const table = `sessions_${process.pid}`
      const schema = db.connection(name).schema
      await schema.dropTableIfExists(table)
      await schema.createTable(table, (t) => {
        t.string('id').primary()
        t.text('data').notNullable()
        t.string('user_id').nullable().index()
        t.timestamp('expires_at').notNullable().index()
      })
      cleanup(() => schema.dropTableIfExists(table))

      const now = Date.now()
      const future = new Date(now + 60_000)
      await db
        .connection(name)
        .table(table)
        .multiInsert([
          { id: 'a', data: '{}', user_id: '1', expires_at: future },
          { id: 'b', data: '{}', user_id: '2', expires_at: future },
          { id: 'anonymous', data: '{}', user_id: null, expires_at: future },
          { id: 'expired', data: '{}', user_id: '3', expires_at: new Date(now - 60_000) },
        ])

      const store = new DatabaseStore(db.connection(name), { sessionTable: table })
      assert.equal(await store.countSessions(now), 2)
      assert.equal(await store.countSessions(now, 1), 1, 'capped')
      assert.equal(await store.countSessions(now, 5), 2)
      await store.touchSession('ignored', 9, now + 60_000)
      assert.equal(await store.countSessions(now), 2, 'presence writes are not needed')
      await db.connection(name).from(table).where('id', 'a').delete()
      assert.equal(await store.countSessions(now), 1)
      assert.equal(await store.countSessions(now + 120_000), 0)
    })
})
