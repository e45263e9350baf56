/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { startServer } from '../fixture_app.ts'
import {
  Client,
  bootSite,
  login,
  waitFor,
  waitForLockFile,
  waitForStatus,
  type HttpResult,
} from './helpers.ts'

/**
 * The probes of the README's "Health checks and load balancers", as the
 * fixture app's routes write them, with both paths allowed
 */
const PROBES = { MAINTENANCE_ALLOWED_PATHS: '/health/live,/health/ready' }

/**
 * The maintenance check's entry in a health report
 */
function maintenanceCheck(response: HttpResult) {
  const report = JSON.parse(response.body)
  const check = report.checks.find((entry: any) => entry.name === 'Maintenance mode check')
  if (!check) throw new Error(`no maintenance check in ${response.body}`)
  return { report, check }
}

test.group('HTTP | health checks', () => {
  test('readiness follows the state, liveness stays 200', async ({ assert }) => {
    const { app, server } = await bootSite('file', PROBES)
    const client = new Client(server)

    /**
     * ONLINE
     */
    const ready = await client.get('/health/ready')
    assert.equal(ready.status, 200, ready.body)
    const online = maintenanceCheck(ready)
    assert.equal(online.report.status, 'ok')
    assert.equal(online.check.status, 'ok')
    assert.equal(online.check.meta.status, 'online')
    assert.equal(await client.status('/health/live'), 200)

    /**
     * PENDING: still ready (the drain needs the logged-in users served),
     * with a warning that carries the deadline and the census
     */
    const { response: loggedIn } = await login(server)
    assert.equal(loggedIn.status, 302)
    await waitFor(
      'the presence record',
      async () => (await app.store.countSessions(Date.now())) === 1
    )
    const on = await app.ace(['offline:on', '--no-wait', '--timeout=10m'])
    assert.equal(on.code, 0, on.stderr)
    await waitForStatus(server, 503)
    const pendingReady = await client.get('/health/ready')
    assert.equal(pendingReady.status, 200, pendingReady.body)
    const pending = maintenanceCheck(pendingReady)
    assert.equal(pending.report.status, 'warning')
    assert.equal(pending.check.status, 'warning')
    assert.match(pending.check.message, /PENDING/)
    assert.equal(pending.check.meta.status, 'pending')
    const deadline = Date.parse(pending.check.meta.deadline)
    assert.closeTo(deadline - Date.now(), 10 * 60_000, 30_000)
    assert.isAbove(pending.check.meta.timeLeft, 9 * 60_000)
    assert.deepEqual(pending.check.meta.census, { activeSessions: 1, runningTasks: 0 })
    assert.equal(await client.status('/health/live'), 200)

    /**
     * OFFLINE: readiness 503 from the app itself (a health report, not
     * the maintenance page), liveness 200 through the allowed path
     */
    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    await waitForLockFile(app, true)
    await waitFor(
      'readiness to turn 503',
      async () => (await client.status('/health/ready')) === 503
    )
    const offlineReady = await client.get('/health/ready')
    assert.equal(offlineReady.status, 503)
    assert.match(offlineReady.headers['content-type']!, /^application\/json/)
    const offline = maintenanceCheck(offlineReady)
    assert.isFalse(offline.report.isHealthy)
    assert.equal(offline.check.status, 'error')
    assert.equal(offline.check.message, 'The site is OFFLINE for maintenance')
    assert.equal(offline.check.meta.status, 'offline')
    assert.equal(await client.status('/'), 503, 'the site itself is down')
    const live = await client.get('/health/live')
    assert.equal(live.status, 200, live.body)
    assert.isTrue(JSON.parse(live.body).isHealthy)

    /**
     * Back ONLINE: ready again
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitFor(
      'readiness to turn 200',
      async () => (await client.status('/health/ready')) === 200
    )
  })

  test('a probe path that is not allowed gets the maintenance answer while OFFLINE', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', { MAINTENANCE_ALLOWED_PATHS: '/health/ready' })
    const client = new Client(server)
    assert.equal(await client.status('/health/live'), 200)
    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    await waitForStatus(server, 503, '/health/live')
    const live = await client.get('/health/live', { accept: 'application/json' })
    assert.equal(live.status, 503)
    assert.notProperty(JSON.parse(live.body), 'checks', 'the maintenance answer, not a report')
  })

  test('OFFLINE, state file corrupt, process restarted: readiness fails with the reason', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', PROBES)
    const statePath = join(app.env.MAINTENANCE_DIR, 'state.json')
    const forced = await app.ace(['offline:on', '--force', '--secret=health-check-secret-0123'])
    assert.equal(forced.code, 0, forced.stderr)
    await waitForLockFile(app, true)
    await server.stop()
    const record = await readFile(statePath, 'utf8')
    const { secretHash } = JSON.parse(record)

    /**
     * A hand edit gone wrong next to the secret's hash: JSON.parse quotes
     * the text around it in its message
     */
    const at = record.indexOf(secretHash)
    await writeFile(statePath, `${record.slice(0, at - 1)}x${record.slice(at)}`)
    const restarted = await startServer(app, PROBES)
    const client = new Client(restarted)
    const ready = await client.get('/health/ready')
    assert.equal(ready.status, 503, ready.body)
    const { check } = maintenanceCheck(ready)
    assert.equal(check.status, 'error')
    assert.match(check.message, /^Cannot read the maintenance state: E_CORRUPT_STATE: /)
    assert.include(check.message, 'is corrupt')
    assert.equal(check.meta.status, 'offline', 'answering as OFFLINE from the lock file')
    assert.isTrue(check.meta.assumed)
    assert.equal(check.meta.store, 'file')
    assert.notInclude(ready.body, secretHash.slice(0, 8), 'no part of the record')
    assert.notInclude(ready.body, 'health-check-secret-0123')
    assert.equal(await client.status('/health/live'), 200)

    /**
     * Repaired by `offline:off`: ready again
     */
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await waitFor(
      'readiness to turn 200',
      async () => (await client.status('/health/ready')) === 200
    )
  })

  test('ONLINE, state file corrupt, process restarted: the site serves, readiness fails', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', PROBES)
    const statePath = join(app.env.MAINTENANCE_DIR, 'state.json')
    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await server.stop()
    await writeFile(statePath, '{"status": "onl')

    const restarted = await startServer(app, PROBES)
    const client = new Client(restarted)
    assert.equal(await client.status('/'), 200, '"last-known" without a lock file serves')
    const ready = await client.get('/health/ready')
    assert.equal(ready.status, 503, ready.body)
    const { check } = maintenanceCheck(ready)
    assert.equal(check.status, 'error')
    assert.include(check.message, 'E_CORRUPT_STATE')
    assert.equal(check.meta.status, 'online')
    assert.isFalse(check.meta.assumed)
    assert.equal(await client.status('/health/live'), 200)
  })
})
