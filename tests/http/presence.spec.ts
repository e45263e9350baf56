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
import { recordPresence } from '../../src/request_path/presence.ts'
import { PRESENCE_COOKIE, sessionTag } from '../../src/request_path/presence_marker.ts'

const encryption = new EncryptionFactory().create()
const cookies = new CookieClient(encryption)

/**
 * A context with a session holding `values`, and a manager that records
 * presence writes
 */
function setup(values: Record<string, unknown>, cookieHeader?: Record<string, unknown>) {
  const req = new IncomingMessage(new Socket())
  req.url = '/dashboard'
  req.method = 'GET'
  req.headers = {}
  if (cookieHeader) {
    req.headers.cookie = Object.entries(cookieHeader)
      .map(([name, value]) => `${name}=${encodeURIComponent(cookies.sign(name, value)!)}`)
      .join('; ')
  }
  const res = new ServerResponse(req)
  const request = new RequestFactory().merge({ req, res, encryption }).create()
  const response = new ResponseFactory().merge({ req, res, encryption }).create()
  const ctx = new HttpContextFactory().merge({ request, response }).create()

  const touched: [string, unknown][] = []
  const manager = {
    config: { authSessionKey: 'auth_web', sessionIdleAge: 7_200_000 },
    async touchSession(sessionId: string, userId: unknown) {
      touched.push([sessionId, userId])
      return true
    },
  }
  ;(ctx as any).session = { sessionId: 'session-1', get: (key: string) => values[key] }
  return { ctx, touched, manager }
}

function setCookie(ctx: ReturnType<typeof setup>['ctx']) {
  return String(ctx.response.getHeader('set-cookie') ?? '')
}

test.group('recordPresence', () => {
  test('a logged-in session is recorded and gets its marker', async ({ assert }) => {
    const { ctx, touched, manager } = setup({ auth_web: 7 })
    recordPresence(ctx, manager)
    assert.deepEqual(touched, [['session-1', 7]])
    assert.match(setCookie(ctx), new RegExp(`^${PRESENCE_COOKIE}=`))
    assert.match(setCookie(ctx), /HttpOnly/)
  })

  test('a current marker is not written again', async ({ assert }) => {
    const marker = { s: sessionTag('session-1'), t: Date.now() - 60_000, x: Date.now() + 7_000_000 }
    const { ctx, manager } = setup({ auth_web: 7 }, { [PRESENCE_COOKIE]: marker })
    recordPresence(ctx, manager)
    assert.equal(setCookie(ctx), '')
  })

  test('a marker of an older session id is replaced (login regenerates the id)', async ({
    assert,
  }) => {
    const marker = { s: sessionTag('old-session'), t: 1, x: Date.now() + 7_000_000 }
    const { ctx, manager } = setup({ auth_web: 7 }, { [PRESENCE_COOKIE]: marker })
    recordPresence(ctx, manager)
    assert.match(setCookie(ctx), new RegExp(`^${PRESENCE_COOKIE}=s`))
  })

  test('an anonymous session clears a marker and is not recorded', async ({ assert }) => {
    const marker = { s: sessionTag('session-1'), t: 1, x: Date.now() + 7_000_000 }
    const { ctx, touched, manager } = setup({}, { [PRESENCE_COOKIE]: marker })
    recordPresence(ctx, manager)
    assert.deepEqual(touched, [])
    assert.match(setCookie(ctx), new RegExp(`^${PRESENCE_COOKIE}=;`))
  })

  test('a marker past half its life is renewed with the same login time', async ({ assert }) => {
    const marker = { s: sessionTag('session-1'), t: 12_345, x: Date.now() + 3_000_000 }
    const { ctx, manager } = setup({ auth_web: 7 }, { [PRESENCE_COOKIE]: marker })
    recordPresence(ctx, manager)
    const written = setCookie(ctx)
    assert.match(written, new RegExp(`^${PRESENCE_COOKIE}=`))
    assert.match(written, /Max-Age=7200/)
    const value = decodeURIComponent(written.split(';')[0].slice(PRESENCE_COOKIE.length + 1))
    const renewed = cookies.unsign(PRESENCE_COOKIE, value) as { t: number; x: number }
    assert.equal(renewed.t, 12_345, 'the first login time is kept')
    assert.closeTo(renewed.x, Date.now() + 7_200_000, 5_000)
  })

  test('requests let in by a bypass do not hold the drain back', async ({ assert }) => {
    const { ctx, touched, manager } = setup({ auth_web: 7 })
    ctx.maintenance = {
      status: 'pending',
      pending: true,
      offline: false,
      message: '',
      deadline: null,
      retryAfter: 60,
      via: 'cookie',
    }
    recordPresence(ctx, manager)
    assert.deepEqual(touched, [])
  })

  test('no session, nothing to do', async ({ assert }) => {
    const { ctx, touched, manager } = setup({})
    ;(ctx as any).session = undefined
    recordPresence(ctx, manager)
    assert.deepEqual(touched, [])
    assert.equal(setCookie(ctx), '')
  })
})
