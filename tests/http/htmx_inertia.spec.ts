/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { startServer, type RunningServer } from '../fixture_app.ts'
import { Client, bootSite, login, waitFor, waitForLockFile, waitForStatus } from './helpers.ts'

/**
 * The headers the Inertia client (axios) and htmx send with their
 * requests. htmx sets no Accept header: the browser sends its default.
 */
const INERTIA = {
  'x-inertia': 'true',
  'x-inertia-version': '1',
  'x-requested-with': 'XMLHttpRequest',
  'accept': 'text/html, application/xhtml+xml',
}
const HTMX = { 'hx-request': 'true', 'hx-current-url': 'http://localhost/', 'accept': '*/*' }
const BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }

/**
 * http:request_completed fires once a response has finished: let the
 * requests made so far land in the counts first
 */
async function contexts(server: RunningServer) {
  await new Promise((resolve) => setTimeout(resolve, 300))
  const counters = await server.counters()
  return counters.contexts
}

/**
 * Issue 17: Inertia and htmx requests get an answer their client acts
 * on (a full page load) instead of a page shown in a modal or not at all
 */
test.group('HTTP | the maintenance answer to Inertia and htmx', () => {
  test('OFFLINE: Inertia gets 409 + X-Inertia-Location, htmx gets HX-Refresh, on the early answer and the middleware alike', async ({
    assert,
  }) => {
    const { app, server: early } = await bootSite('file')
    const late = await startServer(app, { MAINTENANCE_EARLY_ANSWER: 'false' })

    /**
     * ONLINE: nothing changes for these clients
     */
    const online = await new Client(early).get('/', INERTIA)
    assert.equal(online.status, 200)
    assert.notProperty(online.headers, 'x-inertia-location')
    const onlineHtmx = await new Client(early).get('/', HTMX)
    assert.equal(onlineHtmx.status, 200)
    assert.notProperty(onlineHtmx.headers, 'hx-refresh')

    const on = await app.ace(['offline:on', '--force', '--retry=300'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(early, 503)
    await waitForStatus(late, 503)

    const answers = async (method: string, path: string, headers: Record<string, string>) => {
      const a = await new Client(early).request(method, path, { headers })
      const b = await new Client(late).request(method, path, { headers })
      const what = `${method} ${path} ${JSON.stringify(headers)}`
      assert.equal(a.status, b.status, what)
      assert.equal(a.body, b.body, what)
      /**
       * The empty 409 differs in framing only: the early answer sends
       * Content-Length: 0, AdonisJS none (chunked on a kept-alive connection)
       */
      if (a.body !== '')
        assert.equal(a.headers['content-length'], b.headers['content-length'], what)
      for (const header of [
        'content-type',
        'retry-after',
        'cache-control',
        'x-inertia-location',
        'hx-refresh',
      ]) {
        assert.equal(a.headers[header], b.headers[header], `${header} of ${what}`)
      }
      assert.equal(a.headers['retry-after'], '300', what)
      assert.equal(a.headers['cache-control'], 'no-store', what)
      return a
    }
    const earlyBefore = await contexts(early)
    const lateBefore = await contexts(late)
    let sent = 0

    /**
     * Inertia: a full visit of the very URL asked for, query included
     */
    for (const [method, path] of [
      ['GET', '/dashboard?tab=invoices&page=2'],
      ['GET', '/no-such-page'],
      ['POST', '/login'],
    ]) {
      const inertia = await answers(method, path, INERTIA)
      sent++
      assert.equal(inertia.status, 409, path)
      assert.equal(inertia.headers['x-inertia-location'], path)
      assert.equal(inertia.body, '')
      assert.notProperty(inertia.headers, 'hx-refresh')
    }

    /**
     * The full visit that follows carries no X-Inertia header: it gets the
     * page, not another 409
     */
    const visit = await answers('GET', '/dashboard?tab=invoices&page=2', BROWSER)
    sent++
    assert.equal(visit.status, 503)
    assert.include(visit.body, '<!DOCTYPE html>')
    assert.notProperty(visit.headers, 'x-inertia-location')

    /**
     * A request target that a browser would read as another host's stays
     * on this site; the absolute form a proxy may send keeps its path
     */
    for (const [target, location] of [
      ['//evil.example/steal?x=1', '/evil.example/steal?x=1'],
      ['/\\evil.example/steal', '/evil.example/steal'],
      ['http://evil.example/dashboard?x=1', '/dashboard?x=1'],
    ]) {
      const sneaky = await answers('GET', target, INERTIA)
      sent++
      assert.equal(sneaky.status, 409, target)
      assert.equal(sneaky.headers['x-inertia-location'], location, target)
    }

    /**
     * JSON stays JSON, X-Inertia or not
     */
    const json = await answers('GET', '/api/ping', { ...INERTIA, accept: 'application/json' })
    sent++
    assert.equal(json.status, 503)
    assert.match(json.headers['content-type']!, /^application\/json/)
    assert.equal(JSON.parse(json.body).status, 'offline')
    assert.notProperty(json.headers, 'x-inertia-location')

    /**
     * htmx: the 503 page with HX-Refresh, which htmx acts on before it
     * looks at the status
     */
    for (const [method, path] of [
      ['GET', '/dashboard'],
      ['POST', '/login'],
    ]) {
      const htmx = await answers(method, path, HTMX)
      sent++
      assert.equal(htmx.status, 503, path)
      assert.equal(htmx.headers['hx-refresh'], 'true', path)
      assert.match(htmx.headers['content-type']!, /^text\/html/)
      assert.include(htmx.body, '<!DOCTYPE html>')
      assert.notProperty(htmx.headers, 'x-inertia-location')
    }

    /**
     * A history restore wants the full page and reads no HX-Refresh
     */
    const restore = await answers('GET', '/dashboard', {
      ...HTMX,
      'hx-history-restore-request': 'true',
    })
    sent++
    assert.equal(restore.status, 503)
    assert.include(restore.body, '<!DOCTYPE html>')
    assert.notProperty(restore.headers, 'hx-refresh')

    /**
     * Every one of them was answered before AdonisJS built a context on
     * one server and by the middleware on the other
     */
    assert.equal(await contexts(early), earlyBefore, 'answered early')
    assert.equal((await contexts(late)) - lateBefore, sent, 'answered by the middleware')
  }).timeout(60_000)

  test('PENDING: a refused anonymous POST gets the same answers, early or from the middleware; a logged-in session passes', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const { client: user } = await login(server)
    assert.equal(await user.status('/dashboard'), 200)
    await waitFor(
      'the presence record',
      async () => (await app.store.countSessions(Date.now())) === 1
    )

    const on = await app.ace(['offline:on', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    assert.include(on.stdout, 'PENDING')
    await waitForStatus(server, 503)

    const before = await server.counters()
    const form = { email: 'new@example.com', password: 'whatever it is' }

    /**
     * No cookie at all: the early answer. A session cookie of no logged-in
     * session: the middleware decides, and refuses it
     */
    const early = await contexts(server)
    const inertia = await new Client(server).request('POST', '/login', { headers: INERTIA, form })
    const htmx = await new Client(server).request('POST', '/login', { headers: HTMX, form })
    assert.equal(await contexts(server), early, 'answered early')

    const stranger = () => {
      const client = new Client(server)
      client.cookies.set('adonis-session', 's%3Anot-a-logged-in-session')
      return client
    }
    const inertiaLate = await stranger().request('POST', '/login', { headers: INERTIA, form })
    const htmxLate = await stranger().request('POST', '/login', { headers: HTMX, form })
    assert.equal((await contexts(server)) - early, 2, 'answered by the middleware')

    for (const [what, answer] of [
      ['early', inertia],
      ['middleware', inertiaLate],
    ] as const) {
      assert.equal(answer.status, 409, what)
      assert.equal(answer.headers['x-inertia-location'], '/login', what)
      assert.equal(answer.headers['retry-after'], '60', what)
      assert.equal(answer.headers['cache-control'], 'no-store', what)
      assert.equal(answer.body, '', what)
    }
    for (const [what, answer] of [
      ['early', htmx],
      ['middleware', htmxLate],
    ] as const) {
      assert.equal(answer.status, 503, what)
      assert.equal(answer.headers['hx-refresh'], 'true', what)
      assert.equal(answer.headers['retry-after'], '60', what)
      assert.include(answer.body, '<!DOCTYPE html>', what)
    }
    assert.equal(inertia.body, inertiaLate.body)
    assert.equal(htmx.body, htmxLate.body)
    const after = await server.counters()
    assert.equal(after.handlers, before.handlers, 'login never ran')

    /**
     * The session logged in before PENDING is let through: its Inertia
     * and htmx requests reach the app untouched
     */
    const passed = await user.get('/dashboard', INERTIA)
    assert.equal(passed.status, 200)
    assert.notProperty(passed.headers, 'x-inertia-location')
    const passedHtmx = await user.get('/dashboard', HTMX)
    assert.equal(passedHtmx.status, 200)
    assert.notProperty(passedHtmx.headers, 'hx-refresh')
  }).timeout(60_000)
})
