/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { readFile, writeFile, mkdir } from 'node:fs/promises'
import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { join } from 'node:path'
import { test } from '@japa/runner'
import edge from 'edge.js'
import { EncryptionFactory } from '@adonisjs/core/factories/encryption'
import { HttpContextFactory, RequestFactory, ResponseFactory } from '@adonisjs/core/factories/http'
import { CookieClient } from '@adonisjs/core/http'
import { errors } from '../index.ts'
import { MaintenancePage, READ_ONLY_MESSAGE } from '../src/maintenance_page.ts'
import { MaintenanceGate, bypassValue } from '../src/request_path/maintenance_gate.ts'
import { initialState, parseState } from '../src/state.ts'
import { FileStore } from '../src/stores/file.ts'
import type { MaintenanceEvent, MaintenanceState, ResolvedMaintenanceConfig } from '../src/types.ts'
import { hashSecret } from '../src/utils.ts'
import { bootEdgeApp, createManager, createStores, makeTempDir } from './helpers.ts'
import { Client, bootSite, login, waitFor, waitForLockFile, waitForStatus } from './http/helpers.ts'

function recorder() {
  const events: { name: string; data: MaintenanceEvent }[] = []
  return { events, emit: (name: string, data: MaintenanceEvent) => events.push({ name, data }) }
}

/**
 * A manager on a file store with a lock file and a static page in a
 * temporary directory, and one logged-in session: without --read-only,
 * offline:on would drain it
 */
async function setup() {
  const [store] = await createStores('file')
  const directory = await makeTempDir()
  const lockFile = join(directory, 'down')
  const staticPage = join(directory, 'public', 'maintenance', 'index.html')
  const emitter = recorder()
  const manager = await createManager(store, { lockFile, staticPage }, emitter)
  await manager.refresh()
  await store.touchSession('s1', 1, Date.now() + 60_000)
  return { store, manager, emitter, lockFile, staticPage }
}

test.group('Read-only | state transitions', () => {
  test('offline:on --read-only goes READ-ONLY at once, with no drain and no lock file', async ({
    assert,
  }) => {
    const { manager, emitter, lockFile, staticPage } = await setup()
    const result = await manager.activate({ readOnly: true, message: 'Migrating' })
    assert.isTrue(result.changed)
    assert.equal(result.state.status, 'offline')
    assert.isTrue(result.state.readOnly)
    assert.isFalse(result.state.forced)
    assert.isNull(result.state.deadline)
    assert.isNull(result.census, 'nothing is counted: there is no drain')
    assert.isTrue(manager.state.readOnly)
    assert.isFalse(existsSync(lockFile), 'the web server must keep passing reads')
    assert.isFalse(existsSync(staticPage))
    assert.deepEqual(
      emitter.events.map((event) => [event.name, event.data.previous, event.data.state.readOnly]),
      [['maintenance:offline', 'online', true]]
    )

    const again = await manager.activate({ readOnly: true, message: 'other' })
    assert.isFalse(again.changed)
    assert.equal(again.state.revision, result.state.revision)
    assert.equal(again.state.message, 'Migrating')
  })

  test('offline:on from READ-ONLY goes OFFLINE at once, keeping the window', async ({ assert }) => {
    const { manager, emitter, lockFile, staticPage } = await setup()
    await manager.activate({ readOnly: true, message: 'Migrating', secret: 'let-me-in-please-now' })
    const readOnly = manager.state

    const full = await manager.activate()
    assert.isTrue(full.changed)
    assert.equal(full.state.status, 'offline', 'not PENDING, though a session is active')
    assert.isFalse(full.state.readOnly)
    assert.equal(full.state.message, 'Migrating')
    assert.equal(full.state.secretHash, readOnly.secretHash)
    assert.equal(full.state.secretNonce, readOnly.secretNonce, 'the bypass cookie stays valid')
    assert.isTrue(existsSync(lockFile))
    assert.include(await readFile(staticPage, 'utf8'), 'We&#39;ll be back soon')
    assert.deepEqual(
      emitter.events.map((event) => [event.name, event.data.previous, event.data.state.readOnly]),
      [
        ['maintenance:offline', 'online', true],
        ['maintenance:offline', 'offline', false],
      ]
    )

    const again = await manager.activate()
    assert.isFalse(again.changed, 'OFFLINE stays OFFLINE')
  })

  test("escalating READ-ONLY to OFFLINE drops the read-only window's end unless --until is given again (issue 25 item 4)", async ({
    assert,
  }) => {
    const { manager } = await setup()
    const until = Date.now() + 60 * 60_000
    await manager.activate({ readOnly: true, until })
    assert.equal(manager.state.schedule?.endsAt, until)

    const full = await manager.activate()
    assert.equal(full.state.status, 'offline')
    assert.isNull(full.state.schedule?.endsAt ?? null, 'no ONLINE by itself mid-incident')
    assert.equal(full.previous.schedule?.endsAt, until, 'the command can say what it dropped')

    await manager.deactivate()
    await manager.activate({ readOnly: true, until })
    const later = until + 30 * 60_000
    const again = await manager.activate({ until: later })
    assert.equal(again.state.schedule?.endsAt, later, 'an end given again is kept')
  })

  test('--read-only from OFFLINE lets reads back in and removes the lock file', async ({
    assert,
  }) => {
    const { manager, lockFile } = await setup()
    await manager.activate({ force: true, message: 'Restoring' })
    assert.isTrue(existsSync(lockFile))
    const result = await manager.activate({ readOnly: true })
    assert.isTrue(result.changed)
    assert.isTrue(result.state.readOnly)
    assert.equal(result.state.message, 'Restoring')
    assert.isFalse(existsSync(lockFile))
  })

  test('--read-only ends a drain', async ({ assert }) => {
    const { manager } = await setup()
    const pending = await manager.activate()
    assert.equal(pending.state.status, 'pending')
    const result = await manager.activate({ readOnly: true })
    assert.equal(result.state.status, 'offline')
    assert.isTrue(result.state.readOnly)
    assert.equal(result.state.drainStartedAt, pending.state.drainStartedAt)
    const settled = await manager.settle()
    assert.equal(settled.state.revision, result.state.revision, 'nothing left to settle')
  })

  test('offline:off brings a READ-ONLY site back ONLINE', async ({ assert }) => {
    const { manager, emitter } = await setup()
    await manager.activate({ readOnly: true })
    const result = await manager.deactivate()
    assert.equal(result.state.status, 'online')
    assert.isFalse(result.state.readOnly)
    assert.deepEqual(
      emitter.events.map((event) => event.name),
      ['maintenance:offline', 'maintenance:online']
    )
  })

  test('--timeout with --read-only is refused and leaves the state alone', async ({ assert }) => {
    const { manager, store } = await setup()
    await assert.rejects(
      () => manager.activate({ readOnly: true, timeout: 30_000 }),
      /--read-only has no drain/
    )
    assert.isNull(await store.read())
  })
})

test.group('Read-only | state records', () => {
  const base = { status: 'offline', revision: 4, since: 1, allow: [] }

  test('a record written before read-only existed reads as not read-only', async ({ assert }) => {
    const directory = await makeTempDir()
    await mkdir(directory, { recursive: true })
    const { readOnly, ...old } = { ...initialState(), ...base }
    assert.isFalse(readOnly)
    await writeFile(join(directory, 'state.json'), JSON.stringify(old))
    const state = await new FileStore(directory).read()
    assert.equal(state?.status, 'offline')
    assert.strictEqual(state?.readOnly, false)
  })

  test('a damaged readOnly field is a corrupt record', ({ assert }) => {
    assert.throws(
      () => parseState(JSON.stringify({ ...base, readOnly: 'yes' }), 'test'),
      errors.E_CORRUPT_STATE,
      'invalid readOnly'
    )
    assert.throws(
      () => parseState(JSON.stringify({ ...base, status: 'pending', readOnly: true }), 'test'),
      errors.E_CORRUPT_STATE,
      'readOnly with status "pending"'
    )
    assert.isTrue(parseState(JSON.stringify({ ...base, readOnly: true }), 'test').readOnly)
  })
})

const encryption = new EncryptionFactory().create()
const cookies = new CookieClient(encryption)
const config = {
  allowedPaths: ['/health'],
  allow: [],
  bypassCookie: 'site_maintenance_bypass',
  message: 'Back soon',
  retryAfter: 60,
  staticPage: false,
} as unknown as ResolvedMaintenanceConfig

function readOnlySite(overrides: Partial<MaintenanceState> = {}) {
  const manager = {
    state: {
      ...initialState(),
      status: 'offline',
      readOnly: true,
      revision: 3,
      since: Date.now(),
      ...overrides,
    },
    config,
    page: new MaintenancePage(config),
    hasLoggedOut: () => false,
  } as any
  return new MaintenanceGate(manager, { sessionCookie: 'adonis-session' })
}

function context(
  url: string,
  method: string,
  options: { headers?: Record<string, string>; cookies?: Record<string, unknown> } = {}
) {
  const req = new IncomingMessage(new Socket())
  req.url = url
  req.method = method
  req.headers = { host: 'example.com', ...options.headers }
  if (options.cookies) {
    req.headers.cookie = Object.entries(options.cookies)
      .map(([name, value]) => `${name}=${encodeURIComponent(cookies.sign(name, value)!)}`)
      .join('; ')
  }
  const res = new ServerResponse(req)
  const request = new RequestFactory()
    .merge({ req, res, encryption, config: { allowMethodSpoofing: true } })
    .create()
  const response = new ResponseFactory().merge({ req, res, encryption }).create()
  return new HttpContextFactory().merge({ request, response }).create()
}

function run(gate: MaintenanceGate, ctx: ReturnType<typeof context>) {
  let passed = false
  gate.handle(ctx, async () => {
    passed = true
  })
  return passed
}

test.group('Read-only | request path', () => {
  test('GET, HEAD and CORS preflights pass as while ONLINE', ({ assert }) => {
    const gate = readOnlySite()
    const preflight = {
      'origin': 'https://app.example.com',
      'access-control-request-method': 'PUT',
    }
    for (const [method, headers] of [
      ['GET', {}],
      ['HEAD', {}],
      ['OPTIONS', preflight],
    ] as const) {
      const ctx = context('/dashboard', method, { headers })
      assert.isTrue(run(gate, ctx), method)
      assert.isUndefined(ctx.maintenance, `${method}: presence is recorded as while ONLINE`)
    }
    assert.equal(gate.stats.answered + gate.stats.bypassed, 0)
  })

  test('an OPTIONS that is not a CORS preflight is a write (issue 25 item 6)', ({ assert }) => {
    const gate = readOnlySite()
    const ctx = context('/anything', 'OPTIONS', { headers: { accept: 'application/json' } })
    assert.isFalse(run(gate, ctx))
    assert.equal(ctx.response.getStatus(), 503)
    assert.isTrue(JSON.parse(ctx.response.content![0]).readOnly)
  })

  test('writes get the maintenance answer, HTML or JSON', ({ assert }) => {
    const gate = readOnlySite()
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const ctx = context('/login', method, { headers: { accept: 'text/html' } })
      assert.isFalse(run(gate, ctx), method)
      assert.equal(ctx.response.getStatus(), 503)
      assert.include(ctx.response.content![0], 'The site is read-only')
      assert.include(ctx.response.content![0], READ_ONLY_MESSAGE.replace("'", '&#39;'))
    }
    const json = context('/api/items', 'POST', { headers: { accept: 'application/json' } })
    run(gate, json)
    assert.equal(json.response.getStatus(), 503)
    assert.containsSubset(JSON.parse(json.response.content![0]), {
      status: 'offline',
      readOnly: true,
      message: READ_ONLY_MESSAGE,
    })
  })

  test('the --message wins over the read-only message', ({ assert }) => {
    const gate = readOnlySite({ message: 'Migrating the orders' })
    const ctx = context('/login', 'POST', { headers: { accept: 'application/json' } })
    run(gate, ctx)
    assert.equal(JSON.parse(ctx.response.content![0]).message, 'Migrating the orders')
  })

  test('a spoofed method stays a write', ({ assert }) => {
    const gate = readOnlySite()
    const ctx = context('/login?_method=GET', 'POST')
    assert.equal(ctx.request.method(), 'GET', 'the app would take it for a GET')
    assert.isFalse(run(gate, ctx))
    assert.equal(ctx.response.getStatus(), 503)
  })

  test('bypasses let writes through', ({ assert }) => {
    const secretHash = hashSecret('let-me-in-please-now', null)
    const gate = readOnlySite({ secretHash, secretNonce: 'n1' })
    const path = context('/health', 'POST')
    assert.isTrue(run(gate, path))
    const cookie = context('/login', 'POST', {
      cookies: { site_maintenance_bypass: bypassValue(secretHash, 'n1') },
    })
    assert.isTrue(run(gate, cookie))
    assert.containsSubset(cookie.maintenance, { via: 'cookie', readOnly: true, offline: true })

    const grant = context('/let-me-in-please-now', 'GET')
    assert.isFalse(run(gate, grant), 'the secret URL hands out the cookie, even to a read')
    assert.equal(grant.response.getStatus(), 302)
  })

  test('the early answer leaves reads to the app and answers writes', ({ assert }) => {
    const gate = readOnlySite()
    const raw = (method: string) => {
      const req = new IncomingMessage(new Socket())
      req.url = '/login'
      req.method = method
      req.headers = { host: 'example.com', accept: 'application/json' }
      const res = new ServerResponse(req)
      let body = ''
      res.end = ((chunk?: string) => {
        body = chunk ?? ''
        return res
      }) as typeof res.end
      return { req, res, body: () => body }
    }
    for (const method of ['GET', 'HEAD']) {
      const read = raw(method)
      assert.isFalse(gate.answerEarly(read.req, read.res), method)
      assert.isFalse(read.res.headersSent)
    }
    const preflight = raw('OPTIONS')
    preflight.req.headers['access-control-request-method'] = 'PUT'
    assert.isFalse(gate.answerEarly(preflight.req, preflight.res), 'a CORS preflight is a read')
    for (const method of ['POST', 'OPTIONS']) {
      const write = raw(method)
      assert.isTrue(gate.answerEarly(write.req, write.res), method)
      assert.equal(write.res.statusCode, 503)
      assert.isTrue(JSON.parse(write.body()).readOnly)
    }
  })

  test('WebSocket upgrades are refused as while OFFLINE', ({ assert }) => {
    const gate = readOnlySite()
    const req = new IncomingMessage(new Socket())
    req.url = '/ws'
    req.method = 'GET'
    req.headers = { host: 'example.com', upgrade: 'websocket' }
    assert.isFalse(gate.allowsUpgrade(req, () => null))
  })
})

test.group('Read-only | Edge global and banner', (group) => {
  let manager: Awaited<ReturnType<typeof bootEdgeApp>>['manager']
  group.each.setup(async () => {
    const directory = await makeTempDir()
    const booted = await bootEdgeApp({ root: directory, stateDirectory: directory })
    manager = booted.manager
    return () => booted.app.terminate()
  })

  const render = async (template: string) => {
    const html = await edge.createRenderer().share({}).renderRaw(template)
    return html.trim()
  }

  test('maintenance.readOnly and the banner say the site is read-only', async ({ assert }) => {
    const template =
      '{{ maintenance.readOnly }}|{{ maintenance.offline }}|{{ maintenance.message }}'
    assert.equal(await render(template), 'false|false|null')

    await manager.activate({ readOnly: true })
    assert.equal(await render(template), `true|true|${READ_ONLY_MESSAGE.replace("'", '&#39;')}`)
    const banner = await render('@!maintenance.banner()')
    assert.include(banner, 'class="sm-banner sm-banner--read-only"')
    assert.include(banner, 'The site is read-only.')
    assert.isTrue(JSON.parse(JSON.stringify(edge.globals.maintenance)).readOnly)

    await manager.activate()
    assert.equal(await render('{{ maintenance.readOnly }}'), 'false')
    assert.include(await render('@!maintenance.banner()'), 'sm-banner--offline')
  })
})

test.group('Read-only | HTTP, in the fixture app', () => {
  test('reads keep working for everyone, writes get the maintenance answer', async ({ assert }) => {
    const { app, server } = await bootSite('file')
    const { client: user, response: loggedIn } = await login(server)
    assert.equal(loggedIn.status, 302)

    const on = await app.ace(['offline:on', '--read-only'])
    assert.equal(on.code, 0, on.stderr)
    assert.include(on.stdout, 'The site is READ-ONLY')
    await waitFor('the app to refuse a login', async () => {
      const { response } = await login(server)
      return response.status === 503
    })

    const anonymous = new Client(server)
    const home = await anonymous.get('/')
    assert.equal(home.status, 200)
    assert.include(home.body, 'sm-banner--read-only', 'everyone sees the banner')
    const head = await anonymous.request('HEAD', '/')
    assert.equal(head.status, 200)

    const dashboard = await user.get('/dashboard')
    assert.equal(dashboard.status, 200)
    assert.include(dashboard.body, 'Dashboard of ada@example.com')
    assert.include(dashboard.body, 'The site is read-only.')

    const refused = await anonymous.request('POST', '/login', {
      form: { email: 'ada@example.com', password: 'x' },
    })
    assert.equal(refused.status, 503)
    assert.match(String(refused.headers['content-type']), /^text\/html/)
    assert.include(refused.body, 'The site is read-only')

    const json = await user.request('POST', '/logout', { headers: { accept: 'application/json' } })
    assert.equal(json.status, 503)
    assert.containsSubset(JSON.parse(json.body), { status: 'offline', readOnly: true })

    /**
     * OPTIONS reaches handlers (`router.any()`, an OPTIONS route): unless
     * it is a CORS preflight it is refused like a write (issue 25 item 6)
     */
    const handlersRun = async () => {
      const counters = await server.counters()
      return counters.handlers
    }
    const statusOf = async (client: Client, method: string, path: string, headers = {}) => {
      const response = await client.request(method, path, { headers })
      return response.status
    }
    const handlers = await handlersRun()
    assert.equal(await statusOf(user, 'OPTIONS', '/anything'), 503)
    assert.equal(await statusOf(anonymous, 'OPTIONS', '/options-only'), 503)
    assert.equal(await handlersRun(), handlers, 'no OPTIONS handler ran')
    const preflight = { 'origin': 'http://elsewhere.test', 'access-control-request-method': 'GET' }
    assert.equal(
      await statusOf(anonymous, 'OPTIONS', '/anything', preflight),
      200,
      'a preflight is a read'
    )
    assert.equal(await statusOf(anonymous, 'GET', '/anything'), 200)

    assert.isFalse(existsSync(app.lockFile), 'no lock file while READ-ONLY')

    const status = await app.ace(['offline:on', '--read-only'])
    assert.equal(status.code, 0, status.stderr)
    assert.include(status.stdout, 'The site is already READ-ONLY')

    /**
     * offline:on turns it into a full OFFLINE, at once
     */
    const full = await app.ace(['offline:on'])
    assert.equal(full.code, 0, full.stderr)
    assert.include(full.stdout, 'The site is OFFLINE')
    await waitForLockFile(app, true)
    await waitForStatus(server, 503)

    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitForStatus(server, 200)
    await waitForLockFile(app, false)
    const { response: again } = await login(server)
    assert.equal(again.status, 302, 'writes work again')
  }).timeout(60_000)
})
