/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { connect } from 'node:net'
import { test } from '@japa/runner'
import type { RunningServer } from '../fixture_app.ts'
import { Client, bootSite, login, waitForStatus } from './helpers.ts'

/**
 * The status code a protocol upgrade request gets
 */
function upgrade(server: RunningServer, path: string, cookies?: Map<string, string>) {
  return new Promise<number>((resolve, reject) => {
    const socket = connect(server.port, server.host)
    const cookie = cookies?.size
      ? `Cookie: ${[...cookies].map(([name, value]) => `${name}=${value}`).join('; ')}\r\n`
      : ''
    socket.setTimeout(5_000, () => socket.destroy(new Error('upgrade timed out')))
    socket.on('error', reject)
    let data = ''
    socket.on('data', (chunk) => {
      data += chunk
      const line = /^HTTP\/1\.1 (\d{3})/.exec(data)
      if (line) {
        socket.destroy()
        resolve(Number(line[1]))
      }
    })
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: test\r\n${cookie}\r\n`
    )
  })
}

test.group('HTTP | protocol upgrades (WebSockets)', () => {
  test('refused while OFFLINE and PENDING like any request, except exempt paths, bypass holders and (PENDING) sessions', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', {
      FIXTURE_UPGRADE: '1',
      MAINTENANCE_ALLOWED_PATHS: '/health',
    })
    assert.equal(await upgrade(server, '/socket'), 101, 'ONLINE')

    const { client: user } = await login(server)
    const pending = await app.ace(['offline:on', '--no-wait'])
    assert.equal(pending.code, 0, pending.stderr)
    await waitForStatus(server, 503)
    assert.equal(await upgrade(server, '/socket'), 503, 'PENDING, anonymous')
    assert.equal(await upgrade(server, '/socket', user.cookies), 101, 'PENDING, a session')

    const secret = 'a-long-enough-bypass-secret'
    const forced = await app.ace(['offline:on', '--force', `--secret=${secret}`])
    assert.equal(forced.code, 0, forced.stderr)
    await waitForStatus(server, 503, '/dashboard')
    assert.equal(await upgrade(server, '/socket', user.cookies), 503, 'OFFLINE, a session')
    assert.equal(await upgrade(server, '/health'), 101, 'OFFLINE, an exempt path')

    const admin = new Client(server)
    await waitForStatus(server, 302, `/${secret}`)
    const granted = await admin.get(`/${secret}`)
    assert.equal(granted.status, 302)
    assert.equal(await upgrade(server, '/socket', admin.cookies), 101, 'OFFLINE, the bypass cookie')
    const forged = new Map([['site_maintenance_bypass', 's:forged.value']])
    assert.equal(await upgrade(server, '/socket', forged), 503, 'OFFLINE, a forged bypass cookie')
  })
})
