/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Agent, request as httpRequest } from 'node:http'
import { test } from '@japa/runner'
import { drivers } from '@adonisjs/core/encryption'
import { EncryptionFactory } from '@adonisjs/core/factories/encryption'
import { CookieClient } from '@adonisjs/core/http'
import { PRESENCE_COOKIE, sessionTag } from '../../src/request_path/presence_marker.ts'
import type { RunningServer } from '../fixture_app.ts'
import { Client, bootSite, login, waitFor, waitForStatus } from './helpers.ts'

const SESSION_COOKIE = 'adonis-session'

/**
 * Resident memory of the app process, in MB
 */
async function rssOf(server: RunningServer) {
  const status = await readFile(`/proc/${server.child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

/**
 * `count` GETs of `/`, 32 at a time on kept-alive connections, each with
 * the cookie header `cookieOf(index)`; the statuses seen
 */
async function flood(server: RunningServer, count: number, cookieOf: (index: number) => string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 })
  const statuses = new Map<number, number>()
  let next = 0
  const worker = async () => {
    while (next < count) {
      const index = next++
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: server.host,
            port: server.port,
            path: '/',
            agent,
            headers: { cookie: cookieOf(index) },
          },
          (res) => {
            res.resume()
            res.on('end', () => resolve(res.statusCode!))
          }
        )
        req.on('error', reject)
        req.end()
      })
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  agent.destroy()
  return statuses
}

/**
 * A forged signed-cookie value of about 15 KB (Node's header limit is 16 KB)
 */
function forged(index: number) {
  return `s:${index}${randomBytes(11_000).toString('base64url')}.forged`
}

/**
 * Cookies signed with the fixture app's APP_KEY, as an attacker holding a
 * copy of a real cookie would send them
 */
async function signer(appKey: string) {
  const config = await drivers.aes256gcm({ keys: [appKey], id: 'gcm' }).resolver(undefined as never)
  const cookies = new CookieClient(new EncryptionFactory(config).create())
  return (name: string, value: unknown) => encodeURIComponent(cookies.sign(name, value)!)
}

test.group('HTTP | hostile cookies', () => {
  test('10,000 forged 15 KB markers (ONLINE) and session cookies (PENDING) grow RSS by < 20 MB each', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')

    /**
     * Warm up with the same 15 KB headers under a cookie name nothing
     * reads: Node and AdonisJS grow their heap to carry such requests
     * (~140 MB here, the package's code aside), so what follows measures
     * only what the forged values leave behind
     */
    await flood(server, 12_000, (index) => `unrelated=${forged(index)}`)
    const before = await rssOf(server)
    const online = await flood(server, 10_000, (index) => `${PRESENCE_COOKIE}=${forged(index)}`)
    const afterOnline = await rssOf(server)
    assert.equal(online.get(200), 10_000)

    const { client } = await login(server)
    assert.equal(await client.status('/dashboard'), 200)
    const pending = await app.ace(['offline:on', '--no-wait'])
    assert.equal(pending.code, 0, pending.stderr)
    await waitForStatus(server, 503)
    await flood(server, 2_000, (index) => `unrelated=${forged(index)}`)
    const beforePending = await rssOf(server)
    const refused = await flood(
      server,
      10_000,
      (index) => `${SESSION_COOKIE}=${forged(index)}; ${PRESENCE_COOKIE}=s:${index}.forged`
    )
    const afterPending = await rssOf(server)
    assert.equal(refused.get(503), 10_000)
    assert.equal(await client.status('/dashboard'), 200, 'the real session still passes')

    console.log(
      `  RSS: ONLINE flood ${before.toFixed(0)} → ${afterOnline.toFixed(0)} MB, ` +
        `PENDING flood ${beforePending.toFixed(0)} → ${afterPending.toFixed(0)} MB`
    )
    assert.isBelow(afterOnline - before, 20)
    assert.isBelow(afterPending - beforePending, 20)
  }).timeout(120_000)

  test('PENDING: a copied session whose owner logged out, or whose marker expired, does not pass', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const sign = await signer(app.env.APP_KEY)

    /**
     * Two sessions of the same user: one stays (it holds the drain), one
     * is copied, then logs out
     */
    const { client: stays } = await login(server)
    const { client: leaves } = await login(server)
    assert.equal(await leaves.status('/dashboard'), 200)
    const copy = new Client(server)
    copy.cookies = new Map(leaves.cookies)
    assert.isTrue(copy.cookies.has(PRESENCE_COOKIE))
    const logout = await leaves.request('POST', '/logout')
    assert.equal(logout.status, 302)

    /**
     * A marker copied long ago: a session id still in use, a marker whose
     * expiry passed. The same marker in force passes (so the refusal is
     * the expiry's doing).
     */
    const sessionId = await waitFor('the session id', () => true).then(() => {
      const raw = decodeURIComponent(stays.cookies.get(SESSION_COOKIE)!)
      return JSON.parse(Buffer.from(raw.slice(2).split('.')[0], 'base64url').toString()).message
    })
    const old = new Client(server)
    const marker = (x: number) => ({ s: sessionTag(sessionId), t: Date.now() - 30 * 86_400_000, x })
    old.cookies = new Map(stays.cookies)

    const pending = await app.ace(['offline:on', '--no-wait'])
    assert.equal(pending.code, 0, pending.stderr)
    await waitForStatus(server, 503)

    assert.equal(await stays.status('/dashboard'), 200, 'the session that stayed')
    assert.equal(await copy.status('/dashboard'), 503, 'the copy of the logged-out session')
    const relogin = await copy.request('POST', '/login', { form: { email: 'x', password: 'y' } })
    assert.equal(relogin.status, 503, 'nor can it post the login form')

    old.cookies.set(PRESENCE_COOKIE, sign(PRESENCE_COOKIE, marker(Date.now() + 60_000)))
    assert.equal(await old.status('/dashboard'), 200, 'a marker in force')
    old.cookies.set(PRESENCE_COOKIE, sign(PRESENCE_COOKIE, marker(Date.now() - 1)))
    assert.equal(await old.status('/dashboard'), 503, 'the same marker, expired')
  }).timeout(60_000)
})
