/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import type { Assert } from '@japa/assert'
import { WEB_SERVERS } from '../../src/web_servers/main.ts'
import type { WebServerOptions } from '../../src/web_servers/main.ts'
import { freePort } from '../../support/free_port.ts'
import {
  BYPASS,
  BYPASS_VALUE,
  PAGE_CSS,
  PAGE_HTML,
  createSite,
  rawRequest,
  startUpstream,
  startWebServer,
  type RawResponse,
  type Site,
  type Upstream,
} from './helpers.ts'

/**
 * Paths that must never be let through as exempt while locked (WEBSERVERS.md)
 */
const REFUSED_PATHS = [
  '/health/../admin',
  '/maintenance/../admin',
  '/maintenance/%2e%2e/admin',
  '/maintenance%2f..%2fadmin',
  '/maintenance/..%2fadmin',
  '/HEALTH',
  '/Health',
  '/health/',
  '/healthz',
  '/health;x',
  '/health%00',
  '/health.',
  '/health%20',
  '//admin',
  '/admin',
]

function assertPage(assert: Assert, response: RawResponse, withBody = true) {
  assert.equal(response.status, 503)
  assert.equal(response.headers['retry-after'], '60')
  assert.include(response.headers['cache-control'], 'no-store')
  assert.match(response.headers['content-type'], /^text\/html/)
  assert.equal(response.body, withBody ? PAGE_HTML : '')
}

/**
 * The same behaviour, proven on each real server: a lock file switches it
 * to the maintenance page without Node, and nothing else gets through
 */
for (const server of WEB_SERVERS) {
  test.group(`Web server | ${server}`, (group) => {
    let site: Site
    let upstream: Upstream
    let port: number
    let directPort: number

    group.setup(async () => {
      site = await createSite()
      upstream = await startUpstream()
      port = await freePort()
      do {
        directPort = await freePort()
      } while (directPort === port)

      const base: WebServerOptions = {
        lockFile: site.lockFile,
        pageDir: site.pageDir,
        upstream: `127.0.0.1:${upstream.port}`,
        luaFile: join(site.serverDir, 'site_maintenance.lua'),
      }
      let web: Awaited<ReturnType<typeof startWebServer>> | undefined
      try {
        web = await startWebServer(
          server,
          site,
          [
            {
              port,
              options: {
                ...base,
                allow: ['127.0.0.3', '203.0.113.0/24', '2001:db8::/32'],
                trustedProxies: ['127.0.0.1/32'],
                bypass: BYPASS,
              },
            },
            { port: directPort, options: { ...base, allow: ['127.0.0.1'] } },
          ],
          upstream.port
        )
      } catch (error) {
        await upstream.stop()
        await site.remove()
        throw error
      }
      return async () => {
        await web!.stop()
        await upstream.stop()
        await site.remove()
      }
    })

    group.each.setup(async () => {
      await site.unlock()
      upstream.requests.length = 0
    })

    test('lock absent: requests reach the app', async ({ assert }) => {
      const response = await rawRequest(port, { path: '/dashboard?tab=2' })
      assert.equal(response.status, 200)
      assert.equal(response.body, 'upstream /dashboard?tab=2')
      assert.deepEqual(
        upstream.requests.map((request) => request.url),
        ['/dashboard?tab=2']
      )
    })

    test('lock present: the 503 page for GET, HEAD and POST, without the app', async ({
      assert,
    }) => {
      await site.lock()
      assertPage(assert, await rawRequest(port, { path: '/dashboard' }))
      assertPage(assert, await rawRequest(port, { method: 'HEAD', path: '/dashboard' }), false)
      assertPage(
        assert,
        await rawRequest(port, {
          method: 'POST',
          path: '/login',
          headers: [['Content-Type', 'application/x-www-form-urlencoded']],
          body: 'email=a%40b.c&password=x',
        })
      )
      assertPage(assert, await rawRequest(port, { method: 'DELETE', path: '/posts/1' }))
      assertPage(assert, await rawRequest(port, { path: '/' }))
      assert.lengthOf(upstream.requests, 0)
    })

    test('lock present but unreadable to the server: still the 503 page', async ({ assert }) => {
      await site.lock('{"status":"offline"}\n', 0o000)
      assertPage(assert, await rawRequest(port, { path: '/dashboard' }))
      assert.lengthOf(upstream.requests, 0)
    })

    test('a new window: its page is served without a reload', async ({ assert, cleanup }) => {
      const pageFile = join(site.pageDir, 'maintenance/index.html')
      cleanup(() => writeFile(pageFile, PAGE_HTML))
      await site.lock('{"since":"2030-01-01T10:00:00.000Z","retryAfter":60}\n')
      assertPage(assert, await rawRequest(port))
      await site.unlock()

      const nextPage = '<!doctype html><title>Down again</title><h1>Back at 14:00</h1>\n'
      await writeFile(pageFile, nextPage)
      await site.lock('{"since":"2030-01-02T10:00:00.000Z","retryAfter":60}\n')
      const response = await rawRequest(port, { path: '/dashboard' })
      assert.equal(response.status, 503)
      assert.equal(response.body, nextPage)
      const head = await rawRequest(port, { method: 'HEAD', path: '/dashboard' })
      assert.equal(head.status, 503)
      assert.equal(head.body, '')
    })

    /**
     * Only HAProxy reads the lock file; nginx, Apache and Caddy send the
     * snippet's fixed value (documented), so the test exists for HAProxy only
     */
    if (server === 'haproxy') {
      test("lock present: Retry-After is the lock file's {retryAfter}")
        .with([
          { retryAfter: '120', expected: '120' },
          {
            retryAfter: '"Wed, 01 Jan 2031 10:00:00 GMT"',
            expected: 'Wed, 01 Jan 2031 10:00:00 GMT',
          },
          { retryAfter: '"1\\r\\nSet-Cookie: x=1"', expected: '60' },
        ])
        .run(async ({ assert }, { retryAfter, expected }) => {
          await site.lock(`{"since":"2030-01-01T10:00:00.000Z","retryAfter":${retryAfter}}\n`)
          const response = await rawRequest(port, { path: '/dashboard' })
          assert.equal(response.status, 503)
          assert.equal(response.headers['retry-after'], expected)
          assert.notProperty(response.headers, 'set-cookie')
          assert.equal(response.body, PAGE_HTML)
        })
    }

    test('lock present: conditional and range requests still get the full page', async ({
      assert,
    }) => {
      await site.lock()
      assertPage(assert, await rawRequest(port, { headers: [['Range', 'bytes=0-3']] }))
      assertPage(assert, await rawRequest(port, { headers: [['If-None-Match', '*']] }))
      assertPage(
        assert,
        await rawRequest(port, {
          headers: [['If-Modified-Since', new Date(Date.now() + 86_400_000).toUTCString()]],
        })
      )
      assert.lengthOf(upstream.requests, 0)
    })

    test('lock present: the page is served with the app stopped', async ({ assert, cleanup }) => {
      await site.lock()
      await upstream.stop()
      cleanup(() => upstream.start())
      assertPage(assert, await rawRequest(port, { path: '/dashboard' }))
      assertPage(assert, await rawRequest(port, { method: 'POST', path: '/dashboard', body: 'x' }))
    })

    test('lock present: page assets are served and /health reaches the app', async ({ assert }) => {
      await site.lock()
      const css = await rawRequest(port, { path: '/maintenance/style.css' })
      assert.equal(css.status, 200)
      assert.equal(css.body, PAGE_CSS)
      assert.match(css.headers['content-type'], /^text\/css/)

      const html = await rawRequest(port, { path: '/maintenance/index.html' })
      assert.equal(html.status, 200)
      assert.equal(html.body, PAGE_HTML)
      assert.lengthOf(upstream.requests, 0)

      const health = await rawRequest(port, { path: '/health' })
      assert.equal(health.status, 200)
      assert.equal(health.body, 'upstream /health')
      const withQuery = await rawRequest(port, { path: '/health?full=1' })
      assert.equal(withQuery.status, 200)
      assert.deepEqual(
        upstream.requests.map((request) => request.url),
        ['/health', '/health?full=1']
      )
    })

    test('lock present: the bypass cookie must carry the exact value', async ({ assert }) => {
      await site.lock()
      const good = await rawRequest(port, {
        path: '/dashboard',
        headers: [['Cookie', `${BYPASS.cookie}=${BYPASS_VALUE}`]],
      })
      assert.equal(good.status, 200)
      assert.equal(good.body, 'upstream /dashboard')

      const amongOthers = await rawRequest(port, {
        path: '/dashboard',
        headers: [['Cookie', `theme=dark; ${BYPASS.cookie}=${BYPASS_VALUE}; lang=en`]],
      })
      assert.equal(amongOthers.status, 200)
      assert.lengthOf(upstream.requests, 2)

      for (const cookie of [
        `${BYPASS.cookie}=wrong`,
        `${BYPASS.cookie}=${BYPASS_VALUE}x`,
        `${BYPASS.cookie}=x${BYPASS_VALUE}`,
        `${BYPASS.cookie}=${BYPASS_VALUE.toLowerCase()}`,
        `x${BYPASS.cookie}=${BYPASS_VALUE}`,
        `${BYPASS.cookie}=`,
        `${BYPASS.cookie}=${BYPASS.secret}`,
        `site_maintenance_bypass=${BYPASS_VALUE}`,
      ]) {
        const response = await rawRequest(port, {
          path: '/dashboard',
          headers: [['Cookie', cookie]],
        })
        assert.equal(response.status, 503, `Cookie: ${cookie}`)
      }
      assert.lengthOf(upstream.requests, 2)
    })

    test('lock present: one visit of the secret URL sets both cookies', async ({ assert }) => {
      await site.lock()
      const response = await rawRequest(port, { path: `/${BYPASS.secret}` })
      assert.equal(response.status, 302, 'the app answers the secret URL')
      assert.equal(response.headers.location, '/')
      assert.include(response.headers['set-cookie'], 'site_maintenance_bypass=signed-by-the-app')
      assert.include(
        response.headers['set-cookie'],
        `${BYPASS.cookie}=${BYPASS_VALUE}; Path=/; Max-Age=43200; HttpOnly; SameSite=Lax`
      )
      assert.deepEqual(
        upstream.requests.map((request) => request.url),
        [`/${BYPASS.secret}`]
      )

      for (const path of [`/${BYPASS.secret}x`, `/${BYPASS.secret}/`, '/dashboard']) {
        const refused = await rawRequest(port, { path })
        assert.equal(refused.status, 503, path)
        assert.notInclude(refused.headers['set-cookie'] ?? '', BYPASS_VALUE, path)
      }
      assert.lengthOf(upstream.requests, 1)
    })

    test('lock present: allowed IPs of direct clients', async ({ assert }) => {
      await site.lock()
      const allowed = await rawRequest(directPort, { path: '/dashboard' })
      assert.equal(allowed.status, 200)
      assert.equal(allowed.body, 'upstream /dashboard')

      assertPage(
        assert,
        await rawRequest(directPort, { path: '/dashboard', localAddress: '127.0.0.2' })
      )
      const spoofed = await rawRequest(directPort, {
        path: '/dashboard',
        localAddress: '127.0.0.2',
        headers: [['X-Forwarded-For', '127.0.0.1']],
      })
      assert.equal(spoofed.status, 503, 'X-Forwarded-For is ignored without a trusted proxy')
      assert.lengthOf(upstream.requests, 1)
    })

    test('lock present: peer {from} with X-Forwarded-For {xff} is allowed: {allowed}')
      .with([
        { from: '127.0.0.1', xff: ['203.0.113.7'], allowed: true },
        { from: '127.0.0.1', xff: ['2001:db8::5'], allowed: true },
        { from: '127.0.0.1', xff: ['198.51.100.1, 203.0.113.7'], allowed: true },
        { from: '127.0.0.3', xff: [], allowed: true },
        { from: '127.0.0.1', xff: [], allowed: false },
        { from: '127.0.0.1', xff: ['198.51.100.1'], allowed: false },
        { from: '127.0.0.1', xff: ['2001:db9::5'], allowed: false },
        { from: '127.0.0.1', xff: ['203.0.113.7, 198.51.100.1'], allowed: false },
        { from: '127.0.0.1', xff: ['203.0.113.7', '198.51.100.1'], allowed: false },
        { from: '127.0.0.2', xff: ['203.0.113.7'], allowed: false },
        { from: '127.0.0.1', xff: ['not-an-ip'], allowed: false },
      ])
      .run(async ({ assert }, vector) => {
        await site.lock()
        const response = await rawRequest(port, {
          path: '/dashboard',
          localAddress: vector.from,
          headers: vector.xff.map((value) => ['X-Forwarded-For', value] as [string, string]),
        })
        if (vector.allowed) {
          assert.equal(response.status, 200)
          assert.lengthOf(upstream.requests, 1)
        } else {
          assertPage(assert, response)
          assert.lengthOf(upstream.requests, 0)
        }
      })

    test('lock present: path tricks never pass as exempt', async ({ assert }) => {
      await site.lock()
      for (const path of REFUSED_PATHS) {
        const response = await rawRequest(port, { path })
        assert.isAtLeast(response.status, 400, `${path} answered ${response.status}`)
        assert.notEqual(response.status, 405, path)
        assert.lengthOf(upstream.requests, 0, `${path} reached the app`)
      }

      /**
       * The reverse case: a server may match it as /health, but the app
       * must then receive the normalised /health, not the raw URI
       */
      const reverse = await rawRequest(port, { path: '/admin/..%2fhealth' })
      assert.notIncludeMembers([301, 302, 303, 307, 308], [reverse.status])
      for (const request of upstream.requests) assert.equal(request.url, '/health')
    })

    test('no redirects, locked or not', async ({ assert }) => {
      const paths = [
        '/',
        '/maintenance',
        '/maintenance/',
        '/maintenance/style.css',
        '/health',
        '/admin',
      ]
      for (const locked of [false, true]) {
        if (locked) await site.lock()
        for (const path of paths) {
          const response = await rawRequest(port, { path })
          assert.isFalse(
            response.status >= 300 && response.status < 400,
            `${path} (${locked ? 'locked' : 'unlocked'}) answered ${response.status}`
          )
          assert.notProperty(response.headers, 'location')
        }
      }
    })

    test('the lock is noticed on the next request, both ways', async ({ assert }) => {
      const before = await rawRequest(port)
      assert.equal(before.status, 200)
      await site.lock()
      assertPage(assert, await rawRequest(port))
      await site.unlock()
      const restored = await rawRequest(port, { path: '/dashboard' })
      assert.equal(restored.status, 200)
      assert.equal(restored.body, 'upstream /dashboard')
      await site.lock()
      assertPage(assert, await rawRequest(port))
      assert.lengthOf(upstream.requests, 2)
    })
  })
}
