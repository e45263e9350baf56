/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { defineConfig, stores } from '../../index.ts'
import {
  Client,
  OTHER_USER,
  USER,
  bootSite,
  login,
  waitFor,
  waitForLockFile,
  waitForStatus,
} from './helpers.ts'

/**
 * USER (ada) is the fixture's admin (User#isAdmin), OTHER_USER (bob) is
 * not. "status.show" (GET /status) is listed in `bypass.routes`;
 * POST /webhooks/payment is marked with `maintenanceOpen()`.
 */
const ROLE_ENV = {
  MAINTENANCE_BYPASS_ALLOW: 'admin',
  MAINTENANCE_BYPASS_ROUTES: 'status.show',
}

const JSON_ACCEPT = { accept: 'application/json' }

/**
 * The status of a POST
 */
async function postStatus(client: Client, path: string) {
  const response = await client.request('POST', path)
  return response.status
}

/**
 * Route handlers the app has run so far
 */
async function handlersRun(server: { counters(): Promise<{ handlers: number }> }) {
  const counters = await server.counters()
  return counters.handlers
}

test.group('HTTP | role and route bypass', () => {
  test('OFFLINE: admins work, other users and visitors are refused, open routes stay open', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const { client: admin } = await login(server)
    const { client: user } = await login(server, undefined, OTHER_USER)
    const anonymous = new Client(server)

    /**
     * ONLINE: nothing of the bypass shows
     */
    const online = await admin.get('/dashboard')
    assert.equal(online.status, 200)
    assert.notProperty(online.headers, 'x-maintenance')

    const on = await app.ace(['offline:on', '--force', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503, '/dashboard')

    /**
     * The admin reads and writes, and sees the banner
     */
    const dashboard = await admin.get('/dashboard')
    assert.equal(dashboard.status, 200)
    assert.equal(dashboard.headers['x-maintenance'], 'offline; via=role')
    assert.include(dashboard.body, 'class="sm-banner sm-banner--offline"')
    const note = await admin.request('POST', '/notes', { headers: JSON_ACCEPT })
    assert.equal(note.status, 200)
    assert.deepEqual(JSON.parse(note.body), { saved: true })

    /**
     * A logged-in user without the role, and anonymous visitors (with a
     * forged session cookie too), get the maintenance answer
     */
    const refused = await user.get('/dashboard', JSON_ACCEPT)
    assert.equal(refused.status, 503)
    assert.equal(refused.headers['retry-after'], '60')
    assert.equal(refused.headers['cache-control'], 'no-store')
    assert.equal(JSON.parse(refused.body).status, 'offline')
    const page = await user.get('/dashboard')
    assert.equal(page.status, 503)
    assert.include(page.headers['content-type'], 'text/html')
    const before = await handlersRun(server)
    assert.equal(await postStatus(user, '/notes'), 503)
    assert.equal(await anonymous.status('/dashboard'), 503)
    const forged = new Client(server)
    forged.cookies.set('adonis-session', 'forged')
    assert.equal(await forged.status('/dashboard'), 503)
    assert.equal(await postStatus(forged, '/notes'), 503)
    assert.equal(await handlersRun(server), before, 'no refused handler ran')

    /**
     * A URL that matches no route has no route to open nor role check to
     * run (the router stack never runs for it): refused, admin included
     */
    assert.equal(await admin.status('/no-such-page'), 503)

    /**
     * Open routes: by name in `bypass.routes`, or marked with the macro,
     * for everyone, with or without a session
     */
    const status = await anonymous.get('/status')
    assert.equal(status.status, 200)
    assert.equal(status.headers['x-maintenance'], 'offline; via=route')
    assert.equal(await user.status('/status'), 200)
    const webhook = await anonymous.request('POST', '/webhooks/payment')
    assert.equal(webhook.status, 200)
    assert.equal(webhook.headers['x-maintenance'], 'offline; via=route')
    assert.deepEqual(JSON.parse(webhook.body), { received: true })
    assert.equal(await anonymous.status('/webhooks/payment'), 503, 'only POST')

    /**
     * The early answer still refuses, before AdonisJS, what neither a
     * role nor an open route could let in (no session cookie, a route
     * that is not open), and leaves the rest to the middleware
     */
    const contexts = async () => {
      const counters = await server.counters()
      return counters.contexts
    }
    const built = await contexts()
    assert.equal(await new Client(server).status('/dashboard'), 503)
    assert.equal(await new Client(server).status('/no-such-page'), 503)
    assert.equal(await contexts(), built, 'answered early')
    assert.equal(await new Client(server).status('/status'), 200)
    assert.equal(await forged.status('/dashboard'), 503)
    assert.equal(
      await contexts(),
      built + 2,
      'the open route and the session cookie reach AdonisJS'
    )

    /**
     * Back ONLINE: everyone as before
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitForStatus(server, 200, '/')
    const back = await user.get('/dashboard')
    assert.equal(back.status, 200)
    assert.notProperty(back.headers, 'x-maintenance')
  }).timeout(90_000)

  test('without the bypass middleware in the router stack, a role lets nobody in', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', {
      ...ROLE_ENV,
      FIXTURE_BYPASS_MIDDLEWARE: 'false',
    })
    const { client: admin } = await login(server)
    const on = await app.ace(['offline:on', '--force', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503, '/dashboard')

    const before = await handlersRun(server)
    assert.equal(await admin.status('/dashboard'), 503)
    const note = await admin.request('POST', '/notes', { headers: JSON_ACCEPT })
    assert.equal(note.status, 503)
    assert.equal(JSON.parse(note.body).status, 'offline')
    assert.equal(await handlersRun(server), before, 'the write never ran')

    /**
     * Route opt-outs are decided in the server stack: they still work
     */
    assert.equal(await new Client(server).status('/status'), 200)
  }).timeout(90_000)

  test('a spoofed method never runs a handler the gate refused (issue 25 item 2)', async ({
    assert,
  }) => {
    /**
     * `allowMethodSpoofing` on and the body parser in the server stack
     * after the maintenance middleware: the body's `_method` is read
     * after the gate decided, and the router matches after that. The
     * bypass middleware is only on POST /things/:id.
     */
    const { app, server } = await bootSite('file', {
      ...ROLE_ENV,
      FIXTURE_SPOOFING: 'true',
      FIXTURE_BYPASS_MIDDLEWARE: 'false',
    })
    const { client: admin } = await login(server)
    const anonymous = new Client(server)
    const on = await app.ace(['offline:on', '--force', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503, '/dashboard')

    const spoofed = (client: Client, path: string, method: string) =>
      client.request('POST', path, { form: { _method: method }, headers: JSON_ACCEPT })

    /**
     * POST /webhooks/payment is open, DELETE /webhooks/payment is not:
     * a POST may become the DELETE, so neither runs
     */
    let before = await handlersRun(server)
    const toDelete = await spoofed(anonymous, '/webhooks/payment', 'DELETE')
    assert.equal(toDelete.status, 503)
    assert.equal(JSON.parse(toDelete.body).status, 'offline')
    assert.equal(await postStatus(anonymous, '/webhooks/payment'), 503)
    assert.equal(await handlersRun(server), before, 'the DELETE handler never ran')

    /**
     * The role bypass: the admin's POST /things/1 could run the DELETE
     * route, whose stack has no bypass middleware to decide before its
     * handler: refused up front, and no handler ran
     */
    before = await handlersRun(server)
    const destroy = await spoofed(admin, '/things/1', 'DELETE')
    assert.equal(destroy.status, 503)
    assert.equal(JSON.parse(destroy.body).status, 'offline')
    assert.equal(await handlersRun(server), before, 'things.destroy never ran')

    /**
     * An open POST alone on its pattern still passes; spoofed to a method
     * without a route it reaches no handler
     */
    const refund = await anonymous.request('POST', '/webhooks/refund', { headers: JSON_ACCEPT })
    assert.equal(refund.status, 200)
    assert.equal(refund.headers['x-maintenance'], 'offline; via=route')
    before = await handlersRun(server)
    const nowhere = await spoofed(anonymous, '/webhooks/refund', 'DELETE')
    assert.equal(nowhere.status, 404)
    assert.equal(await handlersRun(server), before)

    /**
     * ONLINE, spoofing works as the app expects
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitForStatus(server, 200, '/')
    const online = await spoofed(admin, '/things/1', 'DELETE')
    assert.equal(online.status, 200)
    assert.deepEqual(JSON.parse(online.body), { destroyed: true })
  }).timeout(90_000)

  test('a bouncer ability lets its holders through', async ({ assert }) => {
    const { app, server } = await bootSite('file', {
      MAINTENANCE_BYPASS_ABILITY: 'bypassMaintenance',
      FIXTURE_BOUNCER: 'true',
    })
    const { client: admin } = await login(server)
    const { client: holder } = await login(server, undefined, OTHER_USER)
    const on = await app.ace(['offline:on', '--force', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503, '/dashboard')

    const dashboard = await holder.get('/dashboard')
    assert.equal(dashboard.status, 200)
    assert.equal(dashboard.headers['x-maintenance'], 'offline; via=role')
    assert.equal(await admin.status('/dashboard'), 503, 'no allow callback configured')
    assert.equal(await new Client(server).status('/status'), 503, 'no route listed')
  }).timeout(90_000)

  test('PENDING: logging in is refused unless the login route is listed; then only the role passes', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    await login(server)
    await waitFor(
      'the presence record',
      async () => (await app.store.countSessions(Date.now())) === 1
    )
    const on = await app.ace(['offline:on', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    await waitForStatus(server, 503, '/')

    /**
     * A role is only known after a login, and the login route is not
     * listed: the admin cannot log in
     */
    const refused = await login(server)
    assert.equal(refused.response.status, 503)

    /**
     * Listing the login route lets everyone log in; after it, the role
     * decides
     */
    const listed = await bootSite('file', {
      ...ROLE_ENV,
      MAINTENANCE_BYPASS_ROUTES: 'status.show,login',
    })
    await login(listed.server)
    await waitFor(
      'the presence record',
      async () => (await listed.app.store.countSessions(Date.now())) === 1
    )
    const pending = await listed.app.ace(['offline:on', '--no-wait'])
    assert.equal(pending.code, 0, pending.stderr)
    await waitForStatus(listed.server, 503, '/')

    const { client: admin, response: adminLogin } = await login(listed.server)
    assert.equal(adminLogin.status, 302)
    const dashboard = await admin.get('/dashboard')
    assert.equal(dashboard.status, 200)
    assert.equal(dashboard.headers['x-maintenance'], 'pending; via=role')
    assert.include(dashboard.body, 'class="sm-banner sm-banner--pending"')

    const { client: user, response: userLogin } = await login(listed.server, undefined, OTHER_USER)
    assert.equal(userLogin.status, 302)
    assert.equal(await user.status('/dashboard'), 503)

    /**
     * Neither login holds the drain back: the census still counts the
     * one session from before
     */
    assert.equal(await listed.app.store.countSessions(Date.now()), 1)
    assert.equal(USER.email, 'ada@example.com')
  }).timeout(120_000)
})

test.group('Config | bypass', () => {
  test('defineConfig rejects a bypass it cannot apply', ({ assert }) => {
    const base = { default: 'file' as const, stores: { file: stores.file() } }
    assert.throws(
      () => defineConfig({ ...base, bypass: { allow: true as any } }),
      /bypass.allow must be a function/
    )
    assert.throws(
      () => defineConfig({ ...base, bypass: { ability: '' } }),
      /bypass.ability must be the name/
    )
    assert.throws(
      () => defineConfig({ ...base, bypass: { routes: 'status' as any } }),
      /bypass.routes must be a list/
    )
    assert.doesNotThrow(() => defineConfig({ ...base, bypass: { routes: ['status.show'] } }))
  })
})
