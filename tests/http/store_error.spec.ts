/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { freePort } from '../../support/free_port.ts'
import { startServer } from '../fixture_app.ts'
import { Client, bootSite, waitFor, waitForLockFile, waitForStatus } from './helpers.ts'

/**
 * An instance that cannot read the state never serves what the last known
 * state would refuse (hardening issue, item 1)
 */
test.group('HTTP | the state cannot be read', () => {
  test('OFFLINE, state file truncated, process restarted: 503 until repaired, then the real state', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const statePath = join(app.env.MAINTENANCE_DIR, 'state.json')
    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503)
    const offline = JSON.parse(await readFile(statePath, 'utf8'))
    await server.stop()

    await writeFile(statePath, '')
    const restarted = await startServer(app)
    const client = new Client(restarted)
    assert.equal(await client.status('/'), 503, 'the first request after the restart')
    assert.equal(await client.status('/dashboard'), 503)
    await waitFor('the error log line', () =>
      /cannot read the maintenance state.*answering as OFFLINE/.test(restarted.output())
    )
    assert.isTrue(existsSync(app.lockFile), 'the evidence is kept')

    /**
     * Repaired (as `offline:off` would write it): back ONLINE within a
     * refresh, the lock file gone, and the recovery logged
     */
    const repairedAt = Date.now()
    await writeFile(
      statePath,
      JSON.stringify({ ...offline, status: 'online', revision: offline.revision + 1 })
    )
    await waitForStatus(restarted, 200)
    assert.isBelow(Date.now() - repairedAt, 2_000)
    await waitForLockFile(app, false)
    await waitFor('the recovery log line', () =>
      /readable again; the site is ONLINE/.test(restarted.output())
    )
  })

  test('OFFLINE on redis, redis unreachable when a process starts: 503 from the lock file', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('redis')
    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0)
    await waitForLockFile(app, true)
    await server.stop()

    const restarted = await startServer(app, { REDIS_PORT: String(await freePort()) })
    const client = new Client(restarted)
    assert.equal(await client.status('/'), 503)
    const json = await client.get('/api/ping', { accept: 'application/json' })
    assert.equal(json.status, 503, 'JSON clients too')
    await waitFor('the error log line', () =>
      /cannot read the maintenance state/.test(restarted.output())
    )
  })

  test('ONLINE, record corrupt: "last-known" serves, "offline" refuses until it reads again', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    assert.equal(await new Client(server).status('/'), 200)
    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0)
    const back = await app.ace(['offline:off'])
    assert.equal(back.code, 0)
    await waitForStatus(server, 200)
    await server.stop()
    const statePath = join(app.env.MAINTENANCE_DIR, 'state.json')
    const online = await readFile(statePath, 'utf8')
    await writeFile(statePath, '{"status": "onl')

    const lastKnown = await startServer(app)
    assert.equal(await new Client(lastKnown).status('/'), 200, 'no lock file: ONLINE')
    await waitFor('the error log line', () => /no lock file/.test(lastKnown.output()))
    await lastKnown.stop()

    const strict = await startServer(app, { MAINTENANCE_ON_STORE_ERROR: 'offline' })
    assert.equal(await new Client(strict).status('/'), 503)
    assert.isFalse(existsSync(app.lockFile), 'an assumed OFFLINE writes no lock file')
    await writeFile(statePath, online)
    await waitForStatus(strict, 200)
  })
})
