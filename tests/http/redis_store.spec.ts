/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { Client, bootSite, login, waitFor, waitForStatus } from './helpers.ts'

test.group('HTTP | redis store', () => {
  test('a state change reaches the app through pub/sub, without waiting for the poll', async ({
    assert,
  }) => {
    /**
     * The app polls every 60s only: within the bounded waits below, only
     * a pub/sub message can carry the change
     */
    const { app, server } = await bootSite('redis', { MAINTENANCE_REFRESH_INTERVAL: '60000' })
    const { client: user } = await login(server)
    const anonymous = new Client(server)
    assert.equal(await anonymous.status('/'), 200)
    await waitFor(
      'the presence record',
      async () => (await app.store.countSessions(Date.now())) === 1
    )

    const on = await app.ace(['offline:on', '--no-wait', '--message=Moving data centres'])
    assert.equal(on.code, 0, on.stderr)
    assert.include(on.stdout, 'The site is PENDING: 1 active session')
    await waitForStatus(server, 503)
    const dashboard = await user.get('/dashboard')
    assert.equal(dashboard.status, 200)
    assert.equal(dashboard.headers['x-maintenance'], 'pending; via=session')
    assert.include(dashboard.body, 'Moving data centres')

    const force = await app.ace(['offline:on', '--force', '--no-wait'])
    assert.equal(force.code, 0, force.stderr)
    await waitFor('OFFLINE to reach the app', async () => (await user.status('/dashboard')) === 503)

    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitForStatus(server, 200)
    assert.equal(await user.status('/dashboard'), 200)
  }).timeout(60_000)
})
