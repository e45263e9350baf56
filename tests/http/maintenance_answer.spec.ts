/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { startServer } from '../fixture_app.ts'
import { Client, bootSite, login, waitForLockFile, waitForStatus } from './helpers.ts'
import { MaintenancePage, type PageData } from '../../src/maintenance_page.ts'
import {
  type MaintenanceReply,
  maintenanceAnswer,
} from '../../src/request_path/maintenance_answer.ts'
import { initialState } from '../../src/state.ts'

/**
 * A header of a reply's flat wire list, checking the list is the reply's
 * headers plus Content-Length, in order, names and values alternating
 */
function wireHeader(reply: MaintenanceReply, name: string) {
  const { wireHeaders, headers } = reply
  const expected = Object.entries(headers).flat()
  if (JSON.stringify(wireHeaders.slice(0, expected.length)) !== JSON.stringify(expected)) {
    throw new Error(`wire headers ${wireHeaders.join(', ')} are not the reply's headers`)
  }
  if (wireHeaders.length !== expected.length + 2 || wireHeaders.at(-2) !== 'Content-Length') {
    throw new Error(`wire headers ${wireHeaders.join(', ')} do not end with Content-Length`)
  }
  const index = wireHeaders.indexOf(name)
  return index % 2 === 0 ? wireHeaders[index + 1] : undefined
}

/**
 * Issue 9: the maintenance answer costs almost nothing and floods no log
 */
test.group('HTTP | the maintenance answer', () => {
  test('OFFLINE: 200 requests reach no handler, session store or template, and log nothing', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const { client: user } = await login(server)
    assert.equal(await user.status('/dashboard'), 200)

    const on = await app.ace(['offline:on', '--force', '--retry=300'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503)

    const before = await server.counters()
    const linesBefore = server.output().split('\n').length
    const anonymous = new Client(server)
    const kinds = ['html', 'json', 'head'] as const
    const paths = ['/', '/dashboard', '/api/ping', '/no-such-page', '/login']

    for (let index = 0; index < 200; index++) {
      const kind = kinds[index % 3]
      const path = paths[index % paths.length]
      const client = index % 2 ? user : anonymous
      const response =
        kind === 'head'
          ? await client.request('HEAD', path)
          : kind === 'json'
            ? await client.get(path, { accept: 'application/json' })
            : await client.get(path, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })

      const what = `${kind} ${path}`
      assert.equal(response.status, 503, what)
      assert.equal(response.headers['retry-after'], '300', what)
      assert.equal(response.headers['cache-control'], 'no-store', what)
      assert.notProperty(response.headers, 'set-cookie', what)
      if (kind === 'head') {
        assert.equal(response.body, '', what)
      } else if (kind === 'json') {
        assert.match(response.headers['content-type']!, /^application\/json/, what)
        assert.equal(JSON.parse(response.body).status, 'offline', what)
      } else {
        assert.match(response.headers['content-type']!, /^text\/html/, what)
        assert.include(response.body, '<!DOCTYPE html>', what)
      }
    }

    assert.deepEqual(await server.counters(), before, 'no handler, session read or render')
    const logged = server
      .output()
      .split('\n')
      .slice(linesBefore - 1)
      .filter(Boolean)
    assert.isAtMost(logged.length, 2, `log lines while answering:\n${logged.join('\n')}`)
    const errors = server
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line))
    assert.deepEqual(errors, [], 'nothing logged at error level')
  }).timeout(60_000)

  test('OFFLINE: requests nothing lets through are answered before AdonisJS builds a context, exactly as the middleware answers them', async ({
    assert,
  }) => {
    const { app, server: early } = await bootSite('file')
    const late = await startServer(app, { MAINTENANCE_EARLY_ANSWER: 'false' })
    const { client: user } = await login(early)
    const on = await app.ace([
      'offline:on',
      '--force',
      '--retry=300',
      '--secret=early-answer-secret',
    ])
    assert.equal(on.code, 0, on.stderr)
    await waitForStatus(early, 503)
    await waitForStatus(late, 503)

    const requests: Array<[string, string, Record<string, string>]> = [
      ['GET', '/', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }],
      ['GET', '/api/ping', { accept: 'application/json' }],
      ['GET', '/dashboard', { accept: 'application/json, text/html;q=0.5' }],
      ['GET', '/no-such-page', {}],
      ['HEAD', '/', {}],
      ['POST', '/login', { accept: '*/*' }],
      ['GET', '/', { cookie: 'adonis-session=s%3Aabc; other=1' }],
    ]
    /**
     * http:request_completed fires once a response has finished: let the
     * requests made so far land in the counts first
     */
    const counts = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300))
      return { early: await early.counters(), late: await late.counters() }
    }
    const before = await counts()
    for (const [method, path, headers] of requests) {
      const what = `${method} ${path} ${JSON.stringify(headers)}`
      const a = await new Client(early).request(method, path, { headers })
      const b = await new Client(late).request(method, path, { headers })
      assert.equal(a.status, 503, what)
      assert.equal(a.status, b.status, what)
      assert.equal(a.body, b.body, what)
      for (const header of ['content-type', 'content-length', 'retry-after', 'cache-control']) {
        assert.equal(a.headers[header], b.headers[header], `${header} of ${what}`)
      }
      assert.notProperty(a.headers, 'set-cookie', what)
    }
    const after = await counts()
    assert.equal(after.early.contexts, before.early.contexts, 'no HTTP context built')
    assert.equal(after.late.contexts - before.late.contexts, requests.length)

    /**
     * A logged-in user has no bypass while OFFLINE: answered early too.
     * What may pass still goes to the middleware: the secret URL hands
     * out the cookie, which then lets its holder in
     */
    assert.equal(await user.status('/dashboard'), 503)
    const admin = new Client(early)
    const secret = await admin.get('/early-answer-secret')
    assert.equal(secret.status, 302)
    assert.equal(await admin.status('/api/ping'), 200)
    const last = await counts()
    assert.equal(
      last.early.contexts - after.early.contexts,
      2,
      'only the bypass requests reached AdonisJS'
    )
  }).timeout(60_000)

  test('a redirect configured with --redirect answers GET with 302 and other methods with 307', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const on = await app.ace(['offline:on', '--force', '--redirect=https://status.example.com/'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 302)

    const client = new Client(server)
    const get = await client.get('/dashboard')
    assert.equal(get.status, 302)
    assert.equal(get.headers.location, 'https://status.example.com/')
    assert.equal(get.headers['cache-control'], 'no-store')
    const post = await client.request('POST', '/login', { form: { email: 'x' } })
    assert.equal(post.status, 307)
  }).timeout(60_000)
})

/**
 * Issue 19: the early answer writes what it prepared once per state and
 * language, so a crowd of refused requests allocates nothing per request
 */
test.group('HTTP | the maintenance answer is prepared once', () => {
  test('one reply per state, kind and language; exact Content-Length; replaced when the template renders', async ({
    assert,
  }) => {
    let finish: (html: string) => void = () => {}
    const page = new MaintenancePage(
      { message: 'Back soon', retryAfter: 600 },
      (data: PageData) =>
        new Promise<string>((resolve) => {
          finish = (html) => resolve(`${html} ${data.locale}`)
        })
    )
    const state = { ...initialState(), status: 'offline' as const, revision: 4, since: Date.now() }
    const prepared = {
      retryAfter: '600',
      html: () => page.html(state),
      json: '{"status":"offline"}',
      localized: (language: string | string[] | undefined) => page.answerFor(state, language),
    }
    const ask = (headers: Record<string, string>) =>
      maintenanceAnswer(prepared, { headers, url: '/x' })

    const french = ask({ 'accept-language': 'fr' })
    assert.strictEqual(ask({ 'accept-language': 'fr-CA' }), french, 'the same reply object')
    assert.include(french.body, 'é', 'a body with characters of two bytes')
    assert.equal(wireHeader(french, 'Content-Length'), String(Buffer.byteLength(french.body)))
    assert.isAbove(Buffer.byteLength(french.body), french.body.length)
    assert.notProperty(french.headers, 'Content-Length', 'the middleware lets AdonisJS count')

    const htmx = ask({ 'accept-language': 'fr', 'hx-request': 'true' })
    assert.equal(htmx.headers['HX-Refresh'], 'true')
    assert.notProperty(french.headers, 'HX-Refresh', 'the shared reply is never modified')
    assert.strictEqual(ask({ 'accept-language': 'fr', 'hx-request': 'true' }), htmx)

    const json = ask({ 'accept': 'application/json', 'accept-language': 'de' })
    assert.strictEqual(ask({ 'accept': 'application/json', 'accept-language': 'de' }), json)
    assert.equal(wireHeader(json, 'Content-Length'), String(Buffer.byteLength(json.body)))
    assert.equal(json.headers['Content-Language'], 'de')

    const inertia = ask({ 'x-inertia': 'true' })
    assert.equal(inertia.status, 409)
    assert.equal(inertia.headers['X-Inertia-Location'], '/x')
    assert.equal(wireHeader(inertia, 'Content-Length'), '0')

    /**
     * The app's template finishes rendering: the next request gets it, in a
     * new reply with its own length
     */
    finish('<html>rendered</html>')
    await new Promise((resolve) => setTimeout(resolve, 10))
    const rendered = ask({ 'accept-language': 'fr' })
    assert.notStrictEqual(rendered, french)
    assert.equal(rendered.body, '<html>rendered</html> fr')
    assert.equal(wireHeader(rendered, 'Content-Length'), String(Buffer.byteLength(rendered.body)))
  })
})
