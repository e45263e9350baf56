/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import type { FixtureApp } from '../fixture_app.ts'
import { Client, OTHER_USER, bootSite, login, waitFor, type HttpResult } from './helpers.ts'

/**
 * The fixture mounts the page at /admin/maintenance with an `authorize`
 * that lets logged-in admins only (ada; bob is not one); the same page
 * without any rule at /admin/unguarded, and with the "bypassMaintenance"
 * ability (bob's, with FIXTURE_BOUNCER) at /admin/by-ability
 */
const PAGE = '/admin/maintenance'
const UNGUARDED = '/admin/unguarded'
const BY_ABILITY = '/admin/by-ability'
const ROLE_ENV = { MAINTENANCE_BYPASS_ALLOW: 'admin' }
const JSON_ACCEPT = { accept: 'application/json' }
const REFUSED = 'You are not allowed to manage site maintenance.'
const UNGUARDED_WARNING =
  'site-maintenance: admin page: every request is refused (403) until the page is told who may use it: pass `authorize` or `ability`'

/**
 * The page, and the hidden fields of its form
 */
async function openPage(client: Client, path = PAGE) {
  const page = await client.get(path)
  const fields: Record<string, string> = {}
  for (const [, name, value] of page.body.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g
  )) {
    fields[name] = value
  }
  return { page, fields }
}

/**
 * Press a button: post the form's fields (and `extra`) to its action
 */
async function press(client: Client, action: string, extra: Record<string, string> = {}) {
  const { fields } = await openPage(client)
  return client.request('POST', `${PAGE}/${action}`, { form: { ...fields, ...extra } })
}

/**
 * The status of a press
 */
async function pressed(client: Client, action: string, extra: Record<string, string> = {}) {
  const response = await press(client, action, extra)
  return response.status
}

/**
 * The page's HTML
 */
async function bodyOf(client: Client) {
  const response = await client.get(PAGE)
  return response.body
}

/**
 * The state record in the store (written once a button changed something)
 */
async function stored(app: FixtureApp) {
  const state = await app.store.read()
  if (!state) throw new Error('no state record written')
  return state
}

async function storedStatus(app: FixtureApp) {
  const state = await stored(app)
  return state.status
}

async function sessions(app: FixtureApp) {
  return app.store.countSessions(Date.now())
}

/**
 * How many times `text` is in the server's output
 */
function occurrences(output: string, text: string) {
  return output.split(text).length - 1
}

/**
 * A refusal of the page's guard, whatever the client asked for
 */
function assertRefused(assert: Assert, response: HttpResult, as: 'html' | 'json' = 'html') {
  assert.equal(response.status, 403)
  assert.equal(response.headers['cache-control'], 'no-store')
  assert.equal(response.headers['x-frame-options'], 'DENY')
  assert.notInclude(response.body, 'Site maintenance')
  assert.notInclude(response.body, '_maintenance_token')
  if (as === 'json') {
    assert.include(response.headers['content-type'], 'application/json')
    assert.deepEqual(JSON.parse(response.body), { message: REFUSED })
  } else {
    assert.include(response.headers['content-type'], 'text/html')
    assert.include(response.body, `<h1>403 Forbidden</h1>\n<p>${REFUSED}</p>`)
  }
}

test.group('HTTP | admin page', () => {
  test('shows state and census; each button changes the state, recorded and logged with the user', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const { client: ada } = await login(server)

    /**
     * ONLINE, with ada's own session in the census
     */
    await waitFor('ada in the census', async () => (await sessions(app)) === 1)
    const { page, fields } = await openPage(ada)
    assert.equal(page.status, 200)
    assert.include(page.headers['content-type'], 'text/html')
    assert.equal(page.headers['cache-control'], 'no-store')
    assert.include(page.headers['content-security-policy'], "default-src 'none'")
    assert.include(page.body, '<strong class="pill pill--online">ONLINE</strong>')
    assert.include(page.body, '1 active session, 0 running tasks')
    assert.include(page.body, 'No scheduled window.')
    assert.include(page.body, 'No transition recorded yet.')
    assert.notInclude(page.body, 'No role bypass is configured')
    assert.notInclude(page.body, '<link', 'self-contained')
    assert.notInclude(page.body, '<script', 'no script')
    assert.match(fields._maintenance_token, /^[\w-]{43}$/)
    assert.notProperty(fields, '_csrf', 'no shield on this stack')

    /**
     * PENDING, with a message: ada's session holds the drain
     */
    const pending = await press(ada, 'pending', { message: '  New database tonight  ' })
    assert.equal(pending.status, 303)
    assert.equal(pending.headers.location, PAGE)
    let state = await stored(app)
    assert.equal(state.status, 'pending')
    assert.equal(state.message, 'New database tonight')
    assert.equal(state.requestedBy, 'ada@example.com via admin page')
    const afterPending = await ada.get(PAGE)
    assert.equal(afterPending.headers['x-maintenance'], 'pending; via=session')
    assert.include(
      afterPending.body,
      'role="status">The site is PENDING (1 active session, 0 running tasks): OFFLINE once they are done, or at the drain deadline.'
    )
    assert.include(afterPending.body, 'pill--pending">PENDING<')
    assert.include(afterPending.body, 'Drain deadline')
    assert.include(afterPending.body, 'New database tonight')
    assert.include(
      afterPending.body,
      'ONLINE → <strong>PENDING</strong></td><td>ada@example.com via admin page'
    )
    assert.notInclude(await bodyOf(ada), 'role="status"', 'the notice shows once')

    /**
     * READ-ONLY, then OFFLINE: writes and the whole site are refused, the
     * admin passes by role and keeps the page
     */
    assert.equal(await pressed(ada, 'read-only'), 303)
    state = await stored(app)
    assert.isTrue(state.readOnly)
    const offline = await press(ada, 'offline')
    assert.equal(offline.status, 303)
    assert.equal(offline.headers['x-maintenance'], 'offline; via=role')
    state = await stored(app)
    assert.equal(state.status, 'offline')
    assert.isFalse(state.readOnly)
    assert.equal(state.message, 'New database tonight', 'kept from the drain')
    assert.isTrue(existsSync(app.lockFile))
    const afterOffline = await ada.get(PAGE)
    assert.equal(afterOffline.status, 200)
    assert.equal(afterOffline.headers['x-maintenance'], 'offline; via=role')
    assert.include(afterOffline.body, 'pill--offline">OFFLINE<')
    assert.include(afterOffline.body, 'disabled>OFFLINE now</button>', 'no-op buttons are disabled')

    /**
     * Others get the maintenance answer before the app's middleware runs
     */
    const { client: bob } = await login(server, undefined, OTHER_USER)
    assert.equal(await bob.status(PAGE), 503)
    assert.equal(await new Client(server).status(PAGE), 503)

    /**
     * ONLINE again; the history lists all four, newest first
     */
    const online = await press(ada, 'online')
    assert.equal(online.status, 303)
    state = await stored(app)
    assert.equal(state.status, 'online')
    assert.isFalse(existsSync(app.lockFile))
    assert.deepEqual(
      state.history!.map(({ from, to, by }) => `${from} → ${to} by ${by}`),
      [
        'ONLINE → PENDING by ada@example.com via admin page',
        'PENDING → READ-ONLY by ada@example.com via admin page',
        'READ-ONLY → OFFLINE by ada@example.com via admin page',
        'OFFLINE → ONLINE by ada@example.com via admin page',
      ]
    )
    const last = await ada.get(PAGE)
    assert.include(last.body, 'The site is ONLINE.')
    const rows = [...last.body.matchAll(/<td>(\w+(?:-\w+)?) → <strong>([\w-]+)<\/strong>/g)]
    assert.deepEqual(
      rows.map(([, from, to]) => `${from}→${to}`),
      ['OFFLINE→ONLINE', 'READ-ONLY→OFFLINE', 'PENDING→READ-ONLY', 'ONLINE→PENDING']
    )

    /**
     * A button that changes nothing says so; every action is in the log
     */
    assert.equal(await pressed(ada, 'online'), 303)
    assert.include(await bodyOf(ada), 'Nothing to do: the site is already ONLINE.')
    const output = server.output()
    for (const action of ['pending', 'read-only', 'offline', 'online']) {
      assert.include(output, `site-maintenance: admin page: ada@example.com asked for ${action}: `)
    }
    assert.include(output, 'site-maintenance: OFFLINE → ONLINE by ada@example.com via admin page')
  })

  test("a POST without the form token, or with another session's, is refused and changes nothing", async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const { client: ada } = await login(server)
    const { client: otherTab } = await login(server)
    const { fields } = await openPage(ada)
    await openPage(otherTab)

    const none = await ada.request('POST', `${PAGE}/offline`, { form: { message: 'x' } })
    assert.equal(none.status, 403)
    assert.include(none.body, 'Invalid or missing form token')
    const foreign = await otherTab.request('POST', `${PAGE}/offline`, { form: fields })
    assert.equal(foreign.status, 403)
    const wrong = await ada.request('POST', `${PAGE}/offline`, {
      form: { _maintenance_token: fields._maintenance_token.slice(0, -1) + 'A' },
    })
    assert.equal(wrong.status, 403)
    assert.isNull(await app.store.read(), 'nothing was written')
    assert.include(server.output(), 'refused \\"offline\\" without a valid form token')

    /**
     * The token of the session's own page is accepted
     */
    const accepted = await ada.request('POST', `${PAGE}/offline`, { form: fields })
    assert.equal(accepted.status, 303)
    assert.equal(await storedStatus(app), 'offline')
  })

  test('an anonymous client is refused the page and every button (403), and the site stays ONLINE', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const anonymous = new Client(server)

    assertRefused(assert, await anonymous.get(PAGE))
    assertRefused(assert, await anonymous.get(PAGE, JSON_ACCEPT), 'json')
    for (const action of ['pending', 'offline', 'read-only', 'online']) {
      assertRefused(assert, await anonymous.request('POST', `${PAGE}/${action}`))
    }
    assertRefused(
      assert,
      await anonymous.request('POST', `${PAGE}/offline`, { headers: JSON_ACCEPT, form: {} }),
      'json'
    )
    assert.isNull(await app.store.read(), 'nothing was written')
    assert.equal(await anonymous.status('/'), 200, 'ONLINE')
    assert.notInclude(server.output(), 'without a valid form token', 'refused before the token')
  })

  test('a logged-in user that `authorize` rejects is refused the page and the buttons, even with a valid form token', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', { ...ROLE_ENV, FIXTURE_BOUNCER: 'true' })
    const { client: bob } = await login(server, undefined, OTHER_USER)

    assertRefused(assert, await bob.get(PAGE))
    assertRefused(assert, await bob.request('POST', `${PAGE}/offline`, { form: {} }))

    /**
     * The ability's mount lets bob in, which puts a form token in his
     * session: the guarded page still refuses its buttons to him
     */
    const { page, fields } = await openPage(bob, BY_ABILITY)
    assert.equal(page.status, 200)
    assert.include(page.body, `formaction="${BY_ABILITY}/offline"`)
    assert.match(fields._maintenance_token, /^[\w-]{43}$/)
    for (const action of ['pending', 'offline', 'read-only']) {
      assertRefused(assert, await bob.request('POST', `${PAGE}/${action}`, { form: fields }))
    }
    assert.isNull(await app.store.read(), 'nothing was written')
    assert.equal(await new Client(server).status('/'), 200, 'ONLINE')

    /**
     * The ability's mount: granted to bob, not to ada
     */
    const { client: ada } = await login(server)
    assertRefused(assert, await ada.get(BY_ABILITY))
    assert.equal(await ada.status(PAGE), 200, 'the admin passes `authorize`')
    const readOnly = await bob.request('POST', `${BY_ABILITY}/read-only`, { form: fields })
    assert.equal(readOnly.status, 303)
    assert.equal(readOnly.headers.location, BY_ABILITY)
    const state = await stored(app)
    assert.isTrue(state.readOnly)
  })

  test('a bouncer ability without ctx.bouncer refuses everyone, logged once', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const { client: bob } = await login(server, undefined, OTHER_USER)
    assertRefused(assert, await bob.get(BY_ABILITY))
    assertRefused(assert, await bob.request('POST', `${BY_ABILITY}/offline`, { form: {} }))
    assertRefused(assert, await new Client(server).get(BY_ABILITY))
    assert.isNull(await app.store.read())
    await waitFor('the warning', () => server.output().includes('needs ctx.bouncer'))
    assert.equal(
      occurrences(
        server.output(),
        `every request is refused (403): the \\"bypassMaintenance\\" ability needs ctx.bouncer`
      ),
      1
    )
  })

  test('mounted without `authorize` or `ability`, the page refuses everyone, the admin too, and the log says why once', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const { client: ada } = await login(server)
    const { fields } = await openPage(ada)

    assertRefused(assert, await ada.get(UNGUARDED))
    assertRefused(assert, await ada.get(UNGUARDED, JSON_ACCEPT), 'json')
    for (const action of ['pending', 'offline', 'read-only', 'online']) {
      assertRefused(assert, await ada.request('POST', `${UNGUARDED}/${action}`, { form: fields }))
    }
    assertRefused(assert, await new Client(server).get(UNGUARDED))
    assert.isNull(await app.store.read(), 'nothing was written')

    await waitFor('the warning', () => server.output().includes(UNGUARDED_WARNING))
    assert.equal(occurrences(server.output(), UNGUARDED_WARNING), 1, 'logged once')
    assert.include(
      server.output(),
      'e.g. maintenanceAdmin({ authorize: (ctx) => ctx.auth.user?.isAdmin === true })'
    )
    assert.match(server.output(), /"level":40[^\n]*every request is refused \(403\) until/)

    /**
     * The guarded mount next to it is unaffected
     */
    assert.equal(await pressed(ada, 'offline'), 303)
    assert.equal(await storedStatus(app), 'offline')
  })

  test('the form token is read from the body only: in the query string it is refused', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const { client: ada } = await login(server)
    const { fields } = await openPage(ada)
    const token = encodeURIComponent(fields._maintenance_token)

    const inQuery = await ada.request('POST', `${PAGE}/offline?_maintenance_token=${token}`)
    assert.equal(inQuery.status, 403)
    assert.include(inQuery.body, 'Invalid or missing form token')
    const inQueryWithForm = await ada.request(
      'POST',
      `${PAGE}/offline?_maintenance_token=${token}`,
      { form: { message: 'From the query' } }
    )
    assert.equal(inQueryWithForm.status, 403)
    assert.isNull(await app.store.read(), 'nothing was written')

    const inBody = await ada.request('POST', `${PAGE}/offline`, { form: fields })
    assert.equal(inBody.status, 303)
    assert.equal(await storedStatus(app), 'offline')
  })

  test('every answer of the page forbids framing: X-Frame-Options DENY beside frame-ancestors', async ({
    assert,
  }) => {
    const { server } = await bootSite('file', ROLE_ENV)
    const { client: ada } = await login(server)
    const { page, fields } = await openPage(ada)
    /**
     * In this order: once PENDING, the gate answers a visitor first
     */
    const answers = {
      'the page': page,
      'a refusal': await new Client(server).get(PAGE),
      'a missing token': await ada.request('POST', `${PAGE}/online`, { form: {} }),
      'a button': await ada.request('POST', `${PAGE}/pending`, { form: fields }),
    }
    assert.equal(answers['a button'].status, 303)
    assert.equal(answers['a missing token'].status, 403)
    for (const [what, answer] of Object.entries(answers)) {
      assert.equal(answer.headers['x-frame-options'], 'DENY', what)
      assert.include(answer.headers['content-security-policy'], "frame-ancestors 'none'", what)
      assert.equal(answer.headers['cache-control'], 'no-store', what)
    }
  })

  test('without a role bypass the gate keeps the page shut while OFFLINE; bypass.routes can open it', async ({
    assert,
  }) => {
    /**
     * No bypass at all: the page warns, and once OFFLINE it is out of
     * reach like the rest of the site (offline:off brings it back)
     */
    const shut = await bootSite('file')
    const { client: ada } = await login(shut.server)
    const { page } = await openPage(ada)
    assert.include(page.body, 'No role bypass is configured')
    assert.equal(await pressed(ada, 'offline'), 303)
    assert.equal(await ada.status(PAGE), 503)
    await shut.server.stop()

    /**
     * The page's routes listed by name in `bypass.routes`: open to
     * everyone the app's middleware lets in, which is then the only gate
     */
    const open = await bootSite('file', {
      MAINTENANCE_BYPASS_ROUTES: 'maintenance_admin.show,maintenance_admin.online',
    })
    const { client: admin } = await login(open.server)
    const { client: bob } = await login(open.server, undefined, OTHER_USER)
    assert.equal(await pressed(admin, 'offline'), 303)
    const reached = await admin.get(PAGE)
    assert.equal(reached.status, 200)
    assert.equal(reached.headers['x-maintenance'], 'offline; via=route')
    assert.equal(await bob.status(PAGE), 403)
    assert.equal(await new Client(open.server).status(PAGE), 403)
    assert.equal(await pressed(admin, 'read-only'), 503, 'a route not listed stays shut')
    assert.equal(await pressed(admin, 'online'), 303)
    assert.equal(await storedStatus(open.app), 'online')
  })

  test('a corrupt state record is replaced by OFFLINE now and ONLINE only, as by the commands they stand for', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', ROLE_ENV)
    const { client: ada } = await login(server)
    const statePath = join(app.env.MAINTENANCE_DIR, 'state.json')
    await writeFile(statePath, '{"status": "onl')
    await assert.rejects(() => app.store.read())

    const { page } = await openPage(ada)
    assert.equal(page.status, 200, 'the last state read (ONLINE) holds')
    assert.include(page.body, 'The store could not be read')
    for (const action of ['pending', 'read-only']) {
      assert.equal(await pressed(ada, action), 303)
      assert.include(await bodyOf(ada), 'Nothing changed: ', action)
      assert.equal(await readFile(statePath, 'utf8'), '{"status": "onl', `${action} refused it`)
    }

    assert.equal(await pressed(ada, 'offline'), 303)
    assert.equal(await storedStatus(app), 'offline')
    assert.include(
      server.output(),
      'replaced a corrupt state record with OFFLINE by ada@example.com'
    )
    assert.equal(await pressed(ada, 'online'), 303)
    assert.equal(await storedStatus(app), 'online')

    await writeFile(statePath, '{"status": "onl')
    assert.equal(await pressed(ada, 'online'), 303)
    assert.equal(await storedStatus(app), 'online', 'ONLINE replaces it too')
    assert.include(
      server.output(),
      'replaced a corrupt state record with ONLINE by ada@example.com'
    )
  })

  test('with @adonisjs/shield (the starter kit stack) the form carries its token, which shield checks', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', { FIXTURE_STACK: 'kit' })
    const ada = new Client(server)
    const loggedIn = await ada.get('/login?id=1')
    assert.equal(loggedIn.body, 'logged in')

    const { page, fields } = await openPage(ada)
    assert.equal(page.status, 200)
    assert.isString(fields._csrf, "shield's token")
    assert.isString(fields._maintenance_token)

    const withoutShield = { ...fields }
    delete withoutShield._csrf
    const refused = await ada.request('POST', `${PAGE}/pending`, { form: withoutShield })
    assert.equal(refused.status, 403)
    assert.equal(refused.body, 'Invalid or expired CSRF token')
    assert.isNull(await app.store.read(), 'refused by shield')

    assert.equal(await pressed(ada, 'pending'), 303)
    assert.equal(await storedStatus(app), 'pending')
    assert.equal(await pressed(ada, 'online'), 303)
    assert.equal(await storedStatus(app), 'online')
  })
})
