/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'
import { test } from '@japa/runner'
import { EncryptionFactory } from '@adonisjs/core/factories/encryption'
import { HttpContextFactory, RequestFactory, ResponseFactory } from '@adonisjs/core/factories/http'
import { CookieClient } from '@adonisjs/core/http'
import { MaintenanceGate, bypassValue } from '../../src/request_path/maintenance_gate.ts'
import { MaintenancePage } from '../../src/maintenance_page.ts'
import {
  MAX_COOKIE_LENGTH,
  PRESENCE_COOKIE,
  sessionTag,
  verifiedCacheBytes,
} from '../../src/request_path/presence_marker.ts'
import { initialState } from '../../src/state.ts'
import type { MaintenanceState, ResolvedMaintenanceConfig } from '../../src/types.ts'
import { hashSecret } from '../../src/utils.ts'

const encryption = new EncryptionFactory().create()
const cookies = new CookieClient(encryption)

const config = {
  allowedPaths: ['/health', '/maintenance/*'],
  allow: ['192.0.2.0/24'],
  bypassCookie: 'site_maintenance_bypass',
  message: 'Back soon',
  retryAfter: 60,
  staticPage: false,
} as unknown as ResolvedMaintenanceConfig

function site(overrides: Partial<MaintenanceState> = {}) {
  const manager = {
    state: { ...initialState(), status: 'offline', revision: 3, since: Date.now(), ...overrides },
    config,
    page: new MaintenancePage(config),
    loggedOut: new Set<string>(),
    hasLoggedOut(sessionId: string) {
      return this.loggedOut.has(sessionId)
    },
  } as any
  const gate = new MaintenanceGate(manager, { sessionCookie: 'adonis-session' })
  return { manager, gate }
}

/**
 * An HTTP context for a raw request (the path is not normalised)
 */
function context(
  url: string,
  options: {
    method?: string
    headers?: Record<string, string>
    cookies?: Record<string, unknown>
    ip?: string
  } = {}
) {
  const req = new IncomingMessage(new Socket())
  req.url = url
  req.method = options.method ?? 'GET'
  req.headers = { host: 'example.com', ...options.headers }
  Object.defineProperty(req.socket, 'remoteAddress', { value: options.ip ?? '198.51.100.1' })
  if (options.cookies) {
    req.headers.cookie = Object.entries(options.cookies)
      .map(([name, value]) => `${name}=${encodeURIComponent(cookies.sign(name, value)!)}`)
      .join('; ')
  }
  const res = new ServerResponse(req)
  const request = new RequestFactory().merge({ req, res, encryption }).create()
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

test.group('MaintenanceGate', () => {
  test('OFFLINE: HTML 503 with Retry-After and no caching', ({ assert }) => {
    const { gate } = site()
    const ctx = context('/dashboard', { headers: { accept: 'text/html' } })
    assert.isFalse(run(gate, ctx))
    assert.equal(ctx.response.getStatus(), 503)
    assert.equal(ctx.response.getHeader('retry-after'), '60')
    assert.equal(ctx.response.getHeader('cache-control'), 'no-store')
    assert.match(String(ctx.response.getHeader('content-type')), /^text\/html/)
    assert.include(ctx.response.content![0], 'Back soon')
    assert.equal(gate.stats.answered, 1)
  })

  test('JSON for clients that ask for JSON', ({ assert }) => {
    const { gate } = site({ retryAfter: 120 })
    for (const accept of ['application/json', 'application/vnd.api+json']) {
      const ctx = context('/api/ping', { headers: { accept } })
      run(gate, ctx)
      assert.equal(ctx.response.getStatus(), 503)
      assert.match(String(ctx.response.getHeader('content-type')), /^application\/json/)
      assert.deepEqual(JSON.parse(ctx.response.content![0]), {
        status: 'offline',
        message: 'Back soon',
        retryAfter: 120,
        retryAt: JSON.parse(ctx.response.content![0]).retryAt,
      })
      assert.equal(ctx.response.getHeader('retry-after'), '120')
    }
  })

  test('ONLINE passes everything', ({ assert }) => {
    const { gate } = site({ status: 'online' })
    assert.isTrue(run(gate, context('/anything')))
  })

  test('allowed paths pass, lookalikes do not', ({ assert }) => {
    const { gate } = site()
    const health = context('/health?x=1')
    assert.isTrue(run(gate, health))
    assert.equal(health.maintenance?.via, 'path')
    assert.isTrue(run(gate, context('/maintenance/logo.svg')))
    assert.isFalse(run(gate, context('/health/../admin')))
    assert.isFalse(run(gate, context('/maintenance/..%2fadmin')))
  })

  test('allowed IPs from the config and from the state pass', ({ assert }) => {
    const { gate } = site({ allow: ['2001:db8::/32'] })
    assert.isTrue(run(gate, context('/', { ip: '192.0.2.44' })))
    assert.isTrue(run(gate, context('/', { ip: '::ffff:192.0.2.44' })))
    assert.isTrue(run(gate, context('/', { ip: '2001:db8::5' })))
    assert.isFalse(run(gate, context('/', { ip: '198.51.100.9' })))
    assert.isFalse(
      run(gate, context('/', { ip: '198.51.100.9', headers: { 'x-forwarded-for': '192.0.2.44' } })),
      'the untrusted peer cannot forge its address'
    )
  })

  test('the secret URL sets a cookie bound to the secret and redirects home', ({ assert }) => {
    const secretHash = hashSecret('open-sesame-42-open', null)
    const { gate } = site({ secretHash })
    const ctx = context('/open-sesame-42-open')
    assert.isFalse(run(gate, ctx))
    assert.equal(ctx.response.getStatus(), 302)
    assert.equal(ctx.response.getHeader('location'), '/')
    const setCookie = String(ctx.response.getHeader('set-cookie'))
    assert.match(setCookie, /^site_maintenance_bypass=/)
    assert.match(setCookie, /HttpOnly/)
    assert.match(setCookie, /SameSite=Lax/)

    const holder = context('/', {
      cookies: { site_maintenance_bypass: bypassValue(secretHash, null) },
    })
    assert.isTrue(run(gate, holder))
    assert.equal(holder.maintenance?.via, 'cookie')

    const wrong = context('/open-sesame-43-open')
    assert.isFalse(run(gate, wrong))
    assert.equal(wrong.response.getStatus(), 503)
    assert.isUndefined(wrong.response.getHeader('set-cookie'))

    const stale = site({ secretHash: hashSecret('another-one-1-another', null) }).gate
    assert.isFalse(
      run(
        stale,
        context('/', { cookies: { site_maintenance_bypass: bypassValue(secretHash, null) } })
      ),
      'a new secret invalidates the old cookies'
    )
  })

  test('PENDING: a session logged in before the drain passes, later ones do not', ({ assert }) => {
    const drainStartedAt = Date.now() - 1_000
    const { gate } = site({ status: 'pending', drainStartedAt, deadline: Date.now() + 60_000 })
    const sessionId = 'd5b3a0e4-session'
    const before = { s: sessionTag(sessionId), t: drainStartedAt - 5_000, x: Date.now() + 60_000 }

    const ctx = context('/dashboard', {
      cookies: { 'adonis-session': sessionId, [PRESENCE_COOKIE]: before },
    })
    assert.isTrue(run(gate, ctx))
    assert.containsSubset(ctx.maintenance, { status: 'pending', pending: true, via: 'session' })

    const later = { s: sessionTag(sessionId), t: drainStartedAt + 1, x: Date.now() + 60_000 }
    assert.isFalse(
      run(
        gate,
        context('/', { cookies: { 'adonis-session': sessionId, [PRESENCE_COOKIE]: later } })
      )
    )
    assert.isFalse(
      run(
        gate,
        context('/', { cookies: { 'adonis-session': 'other', [PRESENCE_COOKIE]: before } })
      ),
      'the marker of another session'
    )
    assert.isFalse(run(gate, context('/', { cookies: { 'adonis-session': sessionId } })))
    const forged = context('/', { headers: { cookie: `adonis-session=${sessionId}` } })
    forged.request.request.headers.cookie += `; ${PRESENCE_COOKIE}=${encodeURIComponent(JSON.stringify(before))}`
    assert.isFalse(run(gate, forged), 'an unsigned marker')
  })

  test('PENDING: an expired marker, a marker without expiry and a logged-out session are refused', ({
    assert,
  }) => {
    const drainStartedAt = Date.now() - 1_000
    const { gate, manager } = site({
      status: 'pending',
      drainStartedAt,
      deadline: Date.now() + 60_000,
    })
    const sessionId = `replayed-${Date.now()}`
    const t = drainStartedAt - 30 * 86_400_000
    const visit = (marker: Record<string, unknown>) =>
      run(
        gate,
        context('/', { cookies: { 'adonis-session': sessionId, [PRESENCE_COOKIE]: marker } })
      )

    assert.isFalse(visit({ s: sessionTag(sessionId), t, x: Date.now() - 1 }), 'expired')
    assert.isFalse(visit({ s: sessionTag(sessionId), t }), 'no expiry (an older marker)')
    assert.isTrue(visit({ s: sessionTag(sessionId), t, x: Date.now() + 60_000 }), 'in force')
    manager.loggedOut.add(sessionId)
    assert.isFalse(visit({ s: sessionTag(sessionId), t, x: Date.now() + 60_000 }), 'logged out')
  })

  test('forged cookies of any length cost no memory: too long ones are refused unread, failures are not kept', ({
    assert,
  }) => {
    const drainStartedAt = Date.now() - 1_000
    const { gate } = site({ status: 'pending', drainStartedAt, deadline: Date.now() + 60_000 })
    const before = verifiedCacheBytes()
    for (let index = 0; index < 200; index++) {
      const junk = `${index}`.padEnd(15_000, 'x')
      const cookie = `adonis-session=s:${junk}.sig; ${PRESENCE_COOKIE}=s:${junk}.sig`
      assert.isFalse(run(gate, context('/', { headers: { cookie } })))
      const short = `adonis-session=s:${index}-forged.sig; ${PRESENCE_COOKIE}=s:${index}.sig`
      assert.isFalse(run(gate, context('/', { headers: { cookie: short } })))
    }
    assert.equal(verifiedCacheBytes(), before, 'nothing forged was kept')

    const long = 'y'.repeat(MAX_COOKIE_LENGTH)
    assert.isFalse(
      run(
        gate,
        context('/', {
          cookies: {
            'adonis-session': long,
            [PRESENCE_COOKIE]: { s: sessionTag(long), t: 0, x: Date.now() + 60_000 },
          },
        })
      ),
      'a validly signed value longer than any real one is refused too'
    )
  })

  test('PENDING: a session cookie verified once is not verified again; a forged one never passes', ({
    assert,
  }) => {
    const drainStartedAt = Date.now() - 1_000
    const { gate } = site({ status: 'pending', drainStartedAt, deadline: Date.now() + 60_000 })
    const sessionId = `verified-once-${Date.now()}`
    const marker = { s: sessionTag(sessionId), t: drainStartedAt - 5_000, x: Date.now() + 60_000 }
    const verifier = encryption.getMessageVerifier()
    const unsign = verifier.unsign
    const purposes: unknown[] = []
    verifier.unsign = function (this: typeof verifier, ...args: Parameters<typeof unsign>) {
      purposes.push(args[1])
      return unsign.apply(this, args)
    } as typeof unsign
    try {
      const signed = { 'adonis-session': sessionId, [PRESENCE_COOKIE]: marker }
      assert.isTrue(run(gate, context('/', { cookies: signed })))
      assert.sameMembers(purposes, ['adonis-session', PRESENCE_COOKIE])

      purposes.length = 0
      const again = context('/', { cookies: signed })
      assert.isTrue(run(gate, again))
      assert.deepEqual(purposes, [], 'the same cookie values are not verified again')
      assert.equal(
        again.request.cookie('adonis-session'),
        sessionId,
        'the session middleware still reads the id'
      )

      /**
       * The same id with a broken signature, twice (the second answer
       * comes from the cache), and unsigned
       */
      const header = String(context('/', { cookies: signed }).request.header('cookie'))
      const tampered = header.replace(/^adonis-session=([^;]+)/, (_, value: string) => {
        const last = value.at(-1) === 'A' ? 'B' : 'A'
        return `adonis-session=${value.slice(0, -1)}${last}`
      })
      assert.notEqual(tampered, header)
      for (let attempt = 0; attempt < 2; attempt++) {
        assert.isFalse(run(gate, context('/', { headers: { cookie: tampered } })), 'tampered')
      }
      const plain = header.replace(/^adonis-session=[^;]+/, `adonis-session=${sessionId}`)
      assert.isFalse(run(gate, context('/', { headers: { cookie: plain } })), 'unsigned')
    } finally {
      verifier.unsign = unsign
    }
  })

  test('OFFLINE: logged-in sessions do not pass', ({ assert }) => {
    const drainStartedAt = Date.now() - 1_000
    const { gate } = site({ status: 'offline', drainStartedAt })
    const sessionId = 'abc'
    assert.isFalse(
      run(
        gate,
        context('/', {
          cookies: {
            'adonis-session': sessionId,
            [PRESENCE_COOKIE]: { s: sessionTag(sessionId), t: 0, x: Date.now() + 60_000 },
          },
        })
      )
    )
  })

  test('redirects: 302 for GET, 307 otherwise, never to a refused path of this site', ({
    assert,
  }) => {
    const away = site({ redirect: 'https://status.example.org/' }).gate
    const get = context('/')
    run(away, get)
    assert.equal(get.response.getStatus(), 302)
    assert.equal(get.response.getHeader('location'), 'https://status.example.org/')
    const post = context('/login', { method: 'POST' })
    run(away, post)
    assert.equal(post.response.getStatus(), 307)

    const allowed = site({ redirect: '/maintenance/index.html' }).gate
    const toPage = context('/dashboard')
    run(allowed, toPage)
    assert.equal(toPage.response.getStatus(), 302)
    assert.equal(toPage.response.getHeader('location'), '/maintenance/index.html')

    const refused = site({ redirect: '/down' }).gate
    const loop = context('/down')
    run(refused, loop)
    assert.equal(loop.response.getStatus(), 503, 'never to the current path')
    const other = context('/dashboard')
    run(refused, other)
    assert.equal(other.response.getStatus(), 503, 'never to a refused path')

    const sameHost = site({ redirect: 'http://example.com/down' }).gate
    const absolute = context('/down')
    run(sameHost, absolute)
    assert.equal(absolute.response.getStatus(), 503)
  })
})

test.group('MaintenanceGate | early answer', () => {
  function earlySite(overrides: Partial<MaintenanceState> = {}, configOverrides = {}) {
    const early = { ...config, allow: [], ...configOverrides } as ResolvedMaintenanceConfig
    const manager = {
      state: { ...initialState(), status: 'offline', revision: 3, since: Date.now(), ...overrides },
      config: early,
      page: new MaintenancePage(early),
    } as any
    return new MaintenanceGate(manager, { sessionCookie: 'adonis-session' })
  }

  /**
   * A raw Node.js request and response, as the HTTP server hands them over
   */
  function raw(url: string, requestHeaders: Record<string, string> = {}, method = 'GET') {
    const req = new IncomingMessage(new Socket())
    req.url = url
    req.method = method
    req.headers = { host: 'example.com', ...requestHeaders }
    const res = new ServerResponse(req)
    let body = ''
    const headers: Record<string, string | number> = {}
    /**
     * The headers as Node.js would send them: read back from the head it
     * built (`_header`), whatever form the gate passed them in
     */
    const writeHead = res.writeHead.bind(res)
    res.writeHead = ((...args: Parameters<typeof res.writeHead>) => {
      const written = writeHead(...args)
      const head = (res as unknown as { _header: string })._header
      for (const line of head.split('\r\n').slice(1)) {
        const colon = line.indexOf(': ')
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 2)
      }
      return written
    }) as typeof res.writeHead
    res.end = ((chunk?: string) => {
      body = chunk ?? ''
      return res
    }) as typeof res.end
    return { req, res, headers, body: () => body }
  }

  test('answers what nothing lets through with the same 503 as the middleware', ({ assert }) => {
    const gate = earlySite()
    for (const [accept, type] of [
      ['text/html,application/xhtml+xml,*/*;q=0.8', 'text/html'],
      ['application/json', 'application/json'],
      ['application/json, text/html;q=0.5', 'application/json'],
      ['', 'text/html'],
    ]) {
      const early = raw('/dashboard', accept ? { accept } : {})
      assert.isTrue(gate.answerEarly(early.req, early.res), accept)
      const ctx = context('/dashboard', { headers: accept ? { accept } : {} })
      run(gate, ctx)

      assert.equal(early.res.statusCode, 503, accept)
      assert.equal(ctx.response.getStatus(), 503, accept)
      assert.match(String(early.headers['content-type']), new RegExp(`^${type}`), accept)
      assert.equal(early.headers['content-type'], ctx.response.getHeader('content-type'))
      assert.equal(early.headers['retry-after'], ctx.response.getHeader('retry-after'))
      assert.equal(early.headers['cache-control'], 'no-store')
      assert.equal(early.body(), ctx.response.getBody(), accept)
      assert.equal(early.headers['content-length'], Buffer.byteLength(early.body()))
    }
    assert.equal(gate.stats.answered, 8, 'both paths count their answers')
  })

  test('leaves to the middleware whatever might pass', ({ assert }) => {
    const secret = 'let-me-in-2026-now'
    const withSecret = { secretHash: hashSecret(secret, null) }
    const cases: Array<[string, MaintenanceGate, ReturnType<typeof raw>]> = [
      ['ONLINE', earlySite({ status: 'online' }), raw('/')],
      ['an allowed path', earlySite(), raw('/health')],
      ['an allowed prefix', earlySite(), raw('/maintenance/logo.svg')],
      ['allowed IPs configured', earlySite({}, { allow: ['192.0.2.0/24'] }), raw('/')],
      ['allowed IPs in the state', earlySite({ allow: ['192.0.2.7'] }), raw('/')],
      ['a redirect', earlySite({ redirect: 'https://status.example.org/' }), raw('/')],
      ['the secret URL', earlySite(withSecret), raw(`/${secret}`)],
      [
        'a bypass cookie',
        earlySite(withSecret),
        raw('/', { cookie: 'a=1; site_maintenance_bypass=whatever' }),
      ],
      [
        'PENDING with a session cookie',
        earlySite({ status: 'pending', drainStartedAt: Date.now() }),
        raw('/', { cookie: 'adonis-session=s%3Aabc' }),
      ],
    ]
    for (const [what, gate, request] of cases) {
      assert.isFalse(gate.answerEarly(request.req, request.res), what)
      assert.isFalse(request.res.headersSent, what)
    }
  })

  test('answers lookalikes of what might pass', ({ assert }) => {
    const withSecret = { secretHash: hashSecret('let-me-in-2026-now', null) }
    const cases: Array<[string, MaintenanceGate, ReturnType<typeof raw>]> = [
      ['a wrong secret', earlySite(withSecret), raw('/let-me-in-2027-now')],
      ['a path like an allowed one', earlySite(), raw('/health/../admin')],
      [
        'a bypass cookie without a secret in force',
        earlySite(),
        raw('/', { cookie: 'site_maintenance_bypass=x' }),
      ],
      [
        'OFFLINE with a session cookie',
        earlySite(),
        raw('/', { cookie: 'adonis-session=s%3Aabc' }),
      ],
      [
        'PENDING without a session cookie',
        earlySite({ status: 'pending', drainStartedAt: Date.now() }),
        raw('/', { cookie: 'other=1' }),
      ],
      ['HEAD', earlySite(), raw('/', {}, 'HEAD')],
    ]
    for (const [what, gate, request] of cases) {
      assert.isTrue(gate.answerEarly(request.req, request.res), what)
      assert.equal(request.res.statusCode, 503, what)
    }
  })
})
