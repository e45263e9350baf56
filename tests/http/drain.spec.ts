/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import {
  Client,
  USER,
  bootSite,
  countRows,
  login,
  waitFor,
  waitForLockFile,
  waitForStatus,
} from './helpers.ts'

const SESSION_STORES: ('cookie' | 'database')[] = ['cookie', 'database']

test.group('HTTP | drain: PENDING → OFFLINE → ONLINE', () => {
  test('{$self} session store: logged-in users finish, nobody new gets in')
    .with(SESSION_STORES)
    .run(async ({ assert }, sessionStore) => {
      const { app, server, sqlite } = await bootSite('file', { SESSION_DRIVER: sessionStore })

      /**
       * ONLINE: everything answers; a user logs in
       */
      const anonymous = new Client(server)
      assert.equal(await anonymous.status('/'), 200)
      const { client: user, response: loggedIn } = await login(server)
      assert.equal(loggedIn.status, 302)
      assert.equal(loggedIn.headers.location, '/dashboard')
      assert.equal(await user.status('/dashboard'), 200)
      await waitFor(
        'the presence record',
        async () => (await app.store.countSessions(Date.now())) === 1
      )

      const on = await app.ace(['offline:on', '--no-wait', '--message=Upgrading the database'])
      assert.equal(on.code, 0, on.stderr)
      assert.include(on.stdout, 'The site is PENDING: 1 active session')
      await waitForStatus(server, 503)

      /**
       * PENDING: the user logged in before keeps working, with the banner
       */
      const dashboard = await user.get('/dashboard')
      assert.equal(dashboard.status, 200)
      assert.equal(dashboard.headers['x-maintenance'], 'pending; via=session')
      assert.include(dashboard.body, 'class="sm-banner sm-banner--pending"')
      assert.include(dashboard.body, 'role="status"')
      assert.include(dashboard.body, 'Upgrading the database')

      /**
       * An anonymous visitor gets the maintenance page
       */
      const page = await anonymous.get('/')
      assert.equal(page.status, 503)
      assert.equal(page.headers['retry-after'], '60')
      assert.equal(page.headers['cache-control'], 'no-store')
      assert.match(page.headers['content-type']!, /^text\/html/)
      assert.include(page.body, 'Upgrading the database')
      assert.notProperty(page.headers, 'set-cookie')

      /**
       * A new login is refused and leaves no authenticated session
       */
      const before = await server.counters()
      const rows = sessionStore === 'database' ? await countRows(sqlite, 'sessions') : 0
      const { client: newcomer, response: refused } = await login(server)
      assert.equal(refused.status, 503)
      assert.deepEqual([...newcomer.cookies.keys()], [])
      assert.equal(await newcomer.status('/dashboard'), 503)
      const after = await server.counters()
      assert.equal(after.handlers, before.handlers, 'login never ran')
      if (sessionStore === 'database') {
        assert.equal(await countRows(sqlite, 'sessions'), rows, 'no session row written')
      }

      /**
       * JSON clients get JSON, HEAD gets headers only
       */
      const json = await anonymous.get('/api/ping', { accept: 'application/json' })
      assert.equal(json.status, 503)
      assert.match(json.headers['content-type']!, /^application\/json/)
      assert.containsSubset(JSON.parse(json.body), {
        status: 'pending',
        message: 'Upgrading the database',
        retryAfter: 60,
      })
      const head = await anonymous.request('HEAD', '/')
      assert.equal(head.status, 503)
      assert.equal(head.body, '')
      assert.equal(head.headers['retry-after'], '60')

      /**
       * The last user logs out: the app's refresh loop promotes the site
       * to OFFLINE on its own, and that user is refused from then on
       */
      const logout = await user.request('POST', '/logout')
      assert.equal(logout.status, 302)
      await waitForLockFile(app, true)
      await waitFor('the user to be refused', async () => (await user.status('/dashboard')) === 503)
      assert.equal(await anonymous.status('/no-such-page'), 503)
      const status = await app.ace(['offline:status', '--json'])
      assert.include(status.stdout, '"status":"offline"')

      /**
       * offline:off brings everything back
       */
      const off = await app.ace(['offline:off'])
      assert.equal(off.code, 0, off.stderr)
      await waitForStatus(server, 200)
      assert.equal(await anonymous.status('/api/ping'), 200)
      assert.equal(await anonymous.status('/no-such-page'), 404)
      const again = await login(server)
      assert.equal(again.response.status, 302)
      const back = await again.client.get('/dashboard')
      assert.equal(back.status, 200)
      assert.notProperty(back.headers, 'x-maintenance')
      assert.include(back.body, `Dashboard of ${USER.email}`)
      assert.notInclude(back.body, 'sm-banner')
    })
    .timeout(60_000)
})
