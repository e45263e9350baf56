/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from '@japa/runner'
import { FIXTURE_ROOT, type FixtureApp } from '../fixture_app.ts'
import { Client, bootSite, login, waitFor, waitForLockFile, waitForStatus } from './helpers.ts'
import { outputOf } from '../helpers.ts'

/**
 * The app trusts one proxy (127.0.0.1) for X-Forwarded-For, and lets
 * /health through whatever the state
 */
/**
 * `node ace offline:on …` with `input` on its stdin, as a script pipes a
 * secret in
 */
function aceWithStdin(app: FixtureApp, args: string[], input: string) {
  const child = spawn(
    process.execPath,
    ['--import=@poppinss/ts-exec', join(FIXTURE_ROOT, 'bin/console.ts'), ...args],
    {
      cwd: fileURLToPath(new URL('../../', import.meta.url)),
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', ...app.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    }
  )
  child.stdin.end(input)
  return outputOf(child)
}

const SITE_ENV = { TRUST_PROXY: '127.0.0.1', MAINTENANCE_ALLOWED_PATHS: '/health' }

/**
 * Paths that must not pass as the allowed "/health"
 */
const PATH_ATTACKS = [
  '/health/../admin',
  '/health/..',
  '/health/./',
  '/health%2f..',
  '/health%2F',
  '/health%2e',
  '/health%5c',
  '/health%00',
  '//health',
  '/HEALTH',
  '/Health',
  '/health;x',
  '/health/',
  '/%68ealth',
  '/health\\',
  '/./health',
  '/x/../health',
]

test.group('HTTP | bypass', () => {
  test('the secret URL hands out a cookie that passes in PENDING and OFFLINE', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', SITE_ENV)
    await login(server)
    await waitFor(
      'the presence record',
      async () => (await app.store.countSessions(Date.now())) === 1
    )

    const on = await app.ace(['offline:on', '--no-wait', '--secret=let-me-in-2026-now'])
    assert.equal(on.code, 0, on.stderr)
    assert.notInclude(on.stdout + on.stderr, 'let-me-in-2026-now', 'the given secret is not echoed')
    await waitForStatus(server, 503)

    /**
     * A wrong secret is just another refused path
     */
    const guesser = new Client(server)
    const wrong = await guesser.get('/let-me-in-2025')
    assert.equal(wrong.status, 503)
    assert.notProperty(wrong.headers, 'set-cookie')
    assert.equal(guesser.cookies.size, 0)

    /**
     * The right one sets the signed, HttpOnly cookie and sends the visitor home
     */
    const holder = new Client(server)
    const granted = await holder.get('/let-me-in-2026-now')
    assert.equal(granted.status, 302)
    assert.equal(granted.headers.location, '/')
    const cookie = granted.headers['set-cookie']!.find((line) =>
      line.startsWith('site_maintenance_bypass=')
    )!
    assert.exists(cookie)
    assert.match(cookie, /HttpOnly/)
    assert.match(cookie, /SameSite=Lax/)
    assert.notInclude(cookie, 'let-me-in-2026-now')

    const home = await holder.get('/')
    assert.equal(home.status, 200)
    assert.equal(home.headers['x-maintenance'], 'pending; via=cookie')
    assert.include(home.body, 'class="sm-banner sm-banner--pending"')

    /**
     * A forged cookie value does not pass
     */
    const forger = new Client(server)
    forger.cookies.set('site_maintenance_bypass', 'anything')
    assert.equal(await forger.status('/'), 503)

    /**
     * OFFLINE: the cookie still passes, the unmatched URL included
     */
    const force = await app.ace(['offline:on', '--force', '--no-wait'])
    assert.equal(force.code, 0, force.stderr)
    await waitForLockFile(app, true)
    await waitFor('OFFLINE to reach the app', async () => {
      const response = await holder.get('/')
      return response.headers['x-maintenance'] === 'offline; via=cookie'
    })
    assert.equal(await holder.status('/api/ping'), 200)
    assert.equal(await holder.status('/no-such-page'), 404)
    assert.equal(await new Client(server).status('/'), 503)

    /**
     * A new secret invalidates the cookies of the old one
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    const renewed = await app.ace(['offline:on', '--force', '--secret=another-secret-1'])
    assert.equal(renewed.code, 0, renewed.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503)
    assert.equal(await holder.status('/'), 503)
    assert.equal(await holder.status('/let-me-in-2026-now'), 503)

    /**
     * The first secret again, in a new window: its old cookie does not
     * pass (each activation mixes a new nonce in), a new visit does
     */
    const old = new Client(server)
    old.cookies = new Map(holder.cookies)
    assert.isTrue(old.cookies.has('site_maintenance_bypass'))
    const again = await app.ace(['offline:off'])
    assert.equal(again.code, 0, again.stderr)
    const reused = await app.ace(['offline:on', '--force', '--secret=let-me-in-2026-now'])
    assert.equal(reused.code, 0, reused.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503)
    assert.equal(await old.status('/'), 503, 'a cookie of an earlier window')
    const visit = await old.get('/let-me-in-2026-now')
    assert.equal(visit.status, 302)
    assert.equal(await old.status('/'), 200, 'a fresh visit of the secret URL')
  }).timeout(90_000)

  test('allowed IPs are read through the trusted proxy setting; allowed paths match exactly', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', SITE_ENV)
    const on = await app.ace(['offline:on', '--force', '--allow=127.0.0.1', '--allow=10.1.2.0/24'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)

    const proxy = new Client(server, '127.0.0.1')
    const stranger = new Client(server, '127.0.0.2')
    await waitFor('OFFLINE to reach the app', async () => (await stranger.status('/')) === 503)

    /**
     * 127.0.0.1 is allowed and is the trusted proxy: its own requests
     * pass, and the client it forwards is the one checked
     */
    const own = await proxy.get('/')
    assert.equal(own.status, 200)
    assert.equal(own.headers['x-maintenance'], 'offline; via=ip')
    assert.equal(await proxy.status('/', { 'x-forwarded-for': '10.1.2.3' }), 200)
    assert.equal(
      await proxy.status('/', { 'x-forwarded-for': '192.0.2.10' }),
      503,
      'behind the trusted proxy the forwarded client counts, not the socket'
    )

    /**
     * 127.0.0.2 is not trusted: its X-Forwarded-For is ignored
     */
    assert.equal(await stranger.status('/'), 503)
    assert.equal(await stranger.status('/', { 'x-forwarded-for': '10.1.2.3' }), 503)
    assert.equal(await stranger.status('/', { 'x-forwarded-for': '127.0.0.1' }), 503)

    /**
     * The allowed path passes, with or without a query string; the
     * lookalikes do not
     */
    const health = await stranger.get('/health')
    assert.equal(health.status, 200)
    assert.equal(health.headers['x-maintenance'], 'offline; via=path')
    assert.equal(await stranger.status('/health?probe=1'), 200)
    for (const path of PATH_ATTACKS) {
      const response = await stranger.get(path)
      assert.equal(response.status, 503, `${path} must not pass as /health`)
      assert.notProperty(response.headers, 'x-maintenance', path)
    }
  }).timeout(60_000)

  test('the secret can come from stdin or MAINTENANCE_SECRET, out of ps and the shell history', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', SITE_ENV)
    const piped = await aceWithStdin(
      app,
      ['offline:on', '--force', '--secret=-'],
      'from-standard-input-1\n'
    )
    assert.equal(piped.code, 0, piped.output)
    assert.notInclude(piped.output, 'from-standard-input-1')
    await waitForStatus(server, 503)
    const first = new Client(server)
    const firstVisit = await first.get('/from-standard-input-1')
    assert.equal(firstVisit.status, 302)
    assert.equal(await first.status('/'), 200)

    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0)
    const fromEnv = await app.ace(['offline:on', '--force', '--secret'], {
      MAINTENANCE_SECRET: 'from-the-environment-22',
    })
    assert.equal(fromEnv.code, 0, fromEnv.stderr)
    assert.notInclude(fromEnv.stdout + fromEnv.stderr, 'from-the-environment-22')
    await waitForStatus(server, 503)
    const second = new Client(server)
    const secondVisit = await second.get('/from-the-environment-22')
    assert.equal(secondVisit.status, 302)
    assert.equal(await second.status('/'), 200)

    const short = await app.ace(['offline:on', '--force', '--secret=only-fifteen-ch'])
    assert.equal(short.code, 1)
    assert.include(short.stderr, 'Invalid --secret: use 16 to 128')
  }).timeout(90_000)
})
