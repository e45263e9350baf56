/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { Client, OTHER_USER, bootSite, login, waitForLockFile } from './helpers.ts'

/**
 * The status of a form POST
 */
async function post(client: Client, path: string, form?: Record<string, string>) {
  const response = await client.request('POST', path, { form })
  return response.status
}

test.group('HTTP | a logout ends its session in the census', () => {
  /**
   * The sequence of the hardening issue (item 6), at the starter kit's
   * refresh interval and as fast as a script: no pause beyond what the
   * Ace commands take
   */
  test('a logout right after offline:off leaves no session counted (file store)', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', { MAINTENANCE_REFRESH_INTERVAL: '1000' })

    /**
     * A is logged in; B logs in and out at once, and keeps its cookie jar
     */
    const { client: a, response: aIn } = await login(server)
    assert.equal(aIn.status, 302)
    const { client: b, response: bIn } = await login(server, undefined, OTHER_USER)
    assert.equal(bIn.status, 302)
    assert.equal(await post(b, '/logout'), 302)

    const on = await app.ace(['offline:on', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    assert.include(on.stdout, 'The site is PENDING: 1 active session,', on.stdout)

    /**
     * B's new login is refused; A's logout ends the drain
     */
    assert.equal(await post(b, '/login', OTHER_USER), 503)
    assert.equal(await post(a, '/logout'), 302)
    await waitForLockFile(app, true)

    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)

    /**
     * C logs in as B's user, is refused while forced OFFLINE, and logs out
     * once offline:off has returned
     */
    const c = new Client(server)
    assert.equal(await post(c, '/login', OTHER_USER), 302)
    const force = await app.ace(['offline:on', '--force'])
    assert.equal(force.code, 0, force.stderr)
    assert.equal(await c.status('/dashboard'), 503)
    const offAgain = await app.ace(['offline:off'])
    assert.equal(offAgain.code, 0, offAgain.stderr)
    assert.equal(await post(c, '/logout'), 302, 'the logout reached the app')
    assert.equal(await c.status('/dashboard'), 401)

    const status = await app.ace(['offline:status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.include(status.stdout, '"activeSessions":0', status.stdout)
    assert.equal(await app.store.countSessions(Date.now()), 0)
  }).timeout(120_000)
})
