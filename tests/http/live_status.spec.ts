/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { request as httpRequest } from 'node:http'
import { test } from '@japa/runner'
import type { RunningServer } from '../fixture_app.ts'
import { Client, bootSite, login, waitFor, waitForLockFile } from './helpers.ts'

const STATUS = '/__maintenance/status'

/**
 * The status of the live banner's endpoint, parsed, with its headers
 */
async function poll(client: Client, path = STATUS, headers?: Record<string, string>) {
  const response = await client.get(path, headers)
  return { ...response, json: response.status === 200 ? JSON.parse(response.body) : null }
}

/**
 * The `status` field the endpoint answers now
 */
async function polledStatus(client: Client) {
  const { json } = await poll(client)
  return json?.status
}

/**
 * A transmit event stream (GET /__transmit/events), as the live script's
 * EventSource opens it: its status and content type, and the payloads
 * sent on the maintenance channel
 */
function openStream(server: Pick<RunningServer, 'host' | 'port'>, uid: string) {
  const payloads: any[] = []
  let closeStream = () => {}
  const opened = new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: server.host,
        port: server.port,
        path: `/__transmit/events?uid=${uid}`,
        headers: { accept: 'text/event-stream' },
        agent: false,
      },
      (res) => {
        let buffer = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          buffer += chunk
          let end = buffer.indexOf('\n\n')
          while (end !== -1) {
            for (const line of buffer.slice(0, end).split('\n')) {
              if (!line.startsWith('data: ')) continue
              const message = JSON.parse(line.slice(6))
              if (message.channel === 'site-maintenance/status') payloads.push(message.payload)
            }
            buffer = buffer.slice(end + 2)
            end = buffer.indexOf('\n\n')
          }
        })
        res.on('error', () => {})
        resolve({ status: res.statusCode!, type: res.headers['content-type'] })
      }
    )
    req.on('error', reject)
    req.end()
    closeStream = () => req.destroy()
  })
  return { opened, payloads, close: () => closeStream() }
}

async function bodyOf(client: Client, path: string) {
  const { body } = await client.get(path)
  return body
}

test.group('HTTP | live banner status endpoint', () => {
  test('answers in every state from memory, cacheable, without cookies or secrets', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', {
      MAINTENANCE_BANNER_LIVE: 'true',
      MAINTENANCE_BANNER_INTERVAL: '4s',
    })
    const anonymous = new Client(server)
    const { client: user } = await login(server)

    /**
     * ONLINE: the provider's route answers, the page carries the script
     */
    const online = await poll(anonymous)
    assert.equal(online.status, 200)
    assert.match(online.headers['content-type']!, /^application\/json/)
    assert.equal(online.headers['cache-control'], 'public, max-age=2')
    assert.notProperty(online.headers, 'set-cookie', 'no session cookie on a cacheable answer')
    assert.deepInclude(online.json, { status: 'online', readOnly: false, deadline: null })
    const busted = await poll(anonymous, `${STATUS}?t=1`)
    assert.deepEqual(busted.json, online.json)
    const loggedInPoll = await poll(user)
    assert.equal(loggedInPoll.status, 200)
    assert.notProperty(loggedInPoll.headers, 'set-cookie')

    /**
     * Polls are answered on the Node.js server before AdonisJS builds a
     * context (the app's session, shield and auth would cost each poll
     * far more than the answer), whoever asks; a neighbouring path still
     * reaches the app
     */
    const contexts = async () => {
      const counted = await server.counters()
      return counted.contexts
    }
    const before = await contexts()
    for (let index = 0; index < 20; index++) {
      const answer = await poll(index % 2 ? user : anonymous)
      assert.deepEqual(answer.json, online.json)
    }
    assert.equal(await contexts(), before, 'no context built for a poll')
    const neighbour = await anonymous.get(`${STATUS}x`)
    assert.equal(neighbour.status, 404)
    assert.equal(await contexts(), before + 1, 'the neighbour reached the app')

    const home = await anonymous.get('/')
    assert.include(home.body, `data-sm-live="${STATUS}"`)
    assert.include(home.body, 'data-sm-every="4000"')

    /**
     * PENDING: anonymous polls are refused by the gate, which answers
     * them; the logged-in user's reach the route. Same answer.
     */
    const pending = await app.ace(['offline:on', '--no-wait', '--timeout=15m', '--message=Soon'])
    assert.equal(pending.code, 0, pending.stderr)
    await waitFor('PENDING to reach the app', async () => {
      return (await polledStatus(anonymous)) === 'pending'
    })
    const refused = await poll(anonymous)
    assert.equal(refused.headers['cache-control'], 'public, max-age=2')
    assert.notProperty(refused.headers, 'set-cookie')
    assert.include(refused.json, { status: 'pending', message: 'Soon' })
    assert.approximately(Date.parse(refused.json.deadline), Date.now() + 15 * 60_000, 10_000)
    assert.equal(await anonymous.status('/'), 503, 'the rest is refused')
    const passed = await poll(user)
    assert.deepEqual(passed.json, refused.json)
    assert.notProperty(passed.headers, 'set-cookie')

    /**
     * OFFLINE, with a secret: answered on the Node.js server (early
     * answer) and, for a request with a bypass cookie that fails, by the
     * middleware. The secret, the requester and the allowed IPs stay out.
     */
    const secret = 'live-banner-secret-0123456789'
    const forced = await app.ace([
      'offline:on',
      '--force',
      `--secret=${secret}`,
      '--allow=10.1.2.3',
      '--message=Down for an upgrade',
    ])
    assert.equal(forced.code, 0, forced.stderr)
    const started = Date.now()
    await waitFor('OFFLINE to reach the app', async () => {
      return (await polledStatus(anonymous)) === 'offline'
    })
    assert.isBelow(Date.now() - started, 1_000, 'within a refresh (100 ms) and a poll')
    await waitForLockFile(app, true)

    const early = await poll(anonymous, STATUS, { accept: 'text/html' })
    const viaMiddleware = await poll(anonymous, STATUS, {
      cookie: 'site_maintenance_bypass=forged',
    })
    for (const answer of [early, viaMiddleware]) {
      assert.equal(answer.status, 200)
      assert.equal(answer.headers['cache-control'], 'public, max-age=2')
      assert.notProperty(answer.headers, 'set-cookie')
      assert.notProperty(answer.headers, 'retry-after')
      assert.deepEqual(Object.keys(answer.json).sort(), [
        'deadline',
        'message',
        'readOnly',
        'revision',
        'since',
        'status',
      ])
      assert.include(answer.json, {
        status: 'offline',
        readOnly: false,
        deadline: null,
        message: 'Down for an upgrade',
      })
      assert.notInclude(answer.body, secret)
      assert.notInclude(answer.body, '10.1.2.3')
      assert.notInclude(answer.body, '@')
    }
    assert.equal(early.body, viaMiddleware.body)
    assert.isAbove(early.json.revision, refused.json.revision)

    const head = await anonymous.request('HEAD', STATUS)
    assert.equal(head.status, 200)
    assert.equal(head.body, '')
    const post = await anonymous.request('POST', STATUS)
    assert.equal(post.status, 503, 'only GET and HEAD')
    assert.equal(await anonymous.status(`${STATUS}/x`), 503, 'only the exact path')

    /**
     * Back ONLINE
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitFor('ONLINE to reach the app', async () => {
      return (await polledStatus(anonymous)) === 'online'
    })
    const back = await poll(anonymous)
    assert.isNull(back.json.message)
  }).timeout(90_000)

  test('not live: no endpoint, no script, as before', async ({ assert }) => {
    const { app, server } = await bootSite('file')
    const anonymous = new Client(server)
    assert.equal(await anonymous.status(STATUS), 404)
    assert.notInclude(await bodyOf(anonymous, '/'), 'data-sm-live')

    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    await waitFor('OFFLINE to reach the app', async () => {
      return (await anonymous.status(STATUS)) === 503
    })
  }).timeout(60_000)

  test('with @adonisjs/transmit: every state is pushed on the channel, and the stream stays open while OFFLINE', async ({
    assert,
    cleanup,
  }) => {
    const { app, server } = await bootSite('file', {
      MAINTENANCE_BANNER_LIVE: 'true',
      FIXTURE_TRANSMIT: 'true',
    })
    const anonymous = new Client(server)
    const page = await bodyOf(anonymous, '/')
    assert.include(page, 'data-sm-channel="site-maintenance/status"')
    assert.include(page, '/__transmit/subscribe')

    /**
     * A page subscribed with the revision it was rendered with gets
     * nothing until a change; one with an older revision gets the current
     * state at once
     */
    const online = await poll(anonymous)
    const current = openStream(server, 'page-current')
    const stale = openStream(server, 'page-stale')
    cleanup(() => current.close())
    cleanup(() => stale.close())
    assert.deepEqual(await current.opened, { status: 200, type: 'text/event-stream' })
    await stale.opened
    const subscribe = async (uid: string, revision: number) => {
      const { status } = await anonymous.request('POST', '/__transmit/subscribe', {
        form: { uid, channel: 'site-maintenance/status', revision: String(revision) },
      })
      return status
    }
    assert.equal(await subscribe('page-current', online.json.revision), 204)
    assert.equal(await subscribe('page-stale', online.json.revision - 1), 204)
    await waitFor('the catch-up', async () => stale.payloads.length === 1)
    assert.deepEqual(stale.payloads[0], online.json)

    /**
     * OFFLINE: the change is pushed with the status endpoint's payload
     */
    const forced = await app.ace(['offline:on', '--force', '--message=Back at noon.'])
    assert.equal(forced.code, 0, forced.stderr)
    await waitFor('the push', async () => current.payloads.length === 1)
    const offline = await poll(anonymous)
    assert.deepEqual(current.payloads, [offline.json])
    assert.deepInclude(offline.json, { status: 'offline', message: 'Back at noon.' })
    assert.equal(await anonymous.status('/'), 503)

    /**
     * The transmit routes stay open: a page (re)connecting while OFFLINE
     * subscribes and catches up
     */
    const late = openStream(server, 'page-late')
    cleanup(() => late.close())
    assert.deepEqual(await late.opened, { status: 200, type: 'text/event-stream' })
    assert.equal(await subscribe('page-late', online.json.revision), 204)
    await waitFor('the catch-up while OFFLINE', async () => late.payloads.length === 1)
    assert.deepEqual(late.payloads, [offline.json])

    /**
     * Back ONLINE: pushed to every subscriber, once each
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitFor('the push of ONLINE', async () => late.payloads.length === 2)
    const back = await poll(anonymous)
    assert.equal(back.json.status, 'online')
    for (const stream of [current, stale, late]) {
      await waitFor(
        'every stream',
        async () => stream.payloads.at(-1)?.revision === back.json.revision
      )
    }
    assert.deepEqual(current.payloads, [offline.json, back.json])
  }).timeout(90_000)
})
