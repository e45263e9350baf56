/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { HealthChecks } from '@adonisjs/core/health'
import * as errors from '../../src/errors.ts'
import { MaintenanceCheck } from '../../src/health/maintenance_check.ts'
import { MemoryBackend, MemoryStore } from '../../src/stores/memory.ts'
import type { ConfigOptions } from '../../support/resolve_config.ts'
import { createManager } from '../helpers.ts'

/**
 * A memory store that counts its state reads and can be made slow or
 * unreachable, as a real backend can be
 */
class ObservedStore extends MemoryStore {
  reads = 0
  censusDelay = 0
  unreachable: string | null = null

  async read() {
    this.reads++
    if (this.unreachable) throw new errors.E_STORE_UNAVAILABLE([this.name, this.unreachable])
    return super.read()
  }

  async countSessions(now: number) {
    if (this.censusDelay) await new Promise((resolve) => setTimeout(resolve, this.censusDelay))
    return super.countSessions(now)
  }
}

async function setup(overrides: ConfigOptions = {}) {
  const store = new ObservedStore(new MemoryBackend())
  const manager = await createManager(store, { lockFile: false, staticPage: false, ...overrides })
  return { store, manager }
}

test.group('MaintenanceCheck', () => {
  test('ONLINE is ok, read from memory with no store I/O', async ({ assert }) => {
    const { store, manager } = await setup()
    await manager.load()
    const reads = store.reads
    const check = new MaintenanceCheck(manager).withCensus()
    const result = await check.run()
    assert.equal(result.status, 'ok')
    assert.equal(result.message, 'The site is ONLINE')
    assert.deepEqual(result.meta, { status: 'online', since: null })
    await check.run()
    assert.equal(store.reads, reads, 'no state read, no census read')
  })

  test('a manager nothing has read yet is loaded once, not reported as the default ONLINE', async ({
    assert,
  }) => {
    const { store, manager } = await setup()
    const writer = await createManager(new MemoryStore(store.backend), { lockFile: false })
    await writer.activate({ force: true })
    assert.isFalse(manager.loaded)
    const check = new MaintenanceCheck(manager)
    const result = await check.run()
    assert.equal(result.meta?.status, 'offline')
    const reads = store.reads
    await check.run()
    assert.equal(store.reads, reads)
  })

  test('PENDING is a warning with the deadline; the census only on request', async ({ assert }) => {
    const { store, manager } = await setup()
    await manager.touchSession('a-session-id', 1)
    await manager.activate({ timeout: 10 * 60_000 })
    assert.equal(manager.status, 'pending')

    const plain = await new MaintenanceCheck(manager).run()
    assert.equal(plain.status, 'warning')
    assert.match(plain.message, /^The site is PENDING: draining before maintenance, offline by /)
    assert.equal(plain.meta?.deadline.getTime(), manager.state.deadline)
    assert.closeTo(plain.meta?.timeLeft, 10 * 60_000, 5_000)
    assert.notProperty(plain.meta, 'census')

    const reads = store.reads
    const counted = await new MaintenanceCheck(manager).withCensus().run()
    assert.deepEqual(counted.meta?.census, { activeSessions: 1, runningTasks: 0 })
    assert.equal(store.reads, reads, 'the census reads no state')
  })

  test('a census slower than its timeout is left out; the check still answers', async ({
    assert,
  }) => {
    const { store, manager } = await setup()
    await manager.touchSession('a-session-id', 1)
    await manager.activate({ timeout: 10 * 60_000 })
    store.censusDelay = 1_000

    const started = Date.now()
    const result = await new MaintenanceCheck(manager).withCensus('50ms').run()
    assert.isBelow(Date.now() - started, 500)
    assert.equal(result.status, 'warning')
    assert.isNull(result.meta?.census)
    assert.equal(result.meta?.censusError, 'the census read took longer than 50ms')
  })

  test('OFFLINE is a warning, or an error with failWhenOffline()', async ({ assert }) => {
    const { manager } = await setup()
    await manager.activate({ force: true, retryAfter: 600 })

    const lenient = await new MaintenanceCheck(manager).run()
    assert.equal(lenient.status, 'warning')
    assert.equal(lenient.message, 'The site is OFFLINE for maintenance')
    assert.equal(lenient.meta?.retryAfter, 600)

    const strict = await new MaintenanceCheck(manager).failWhenOffline().run()
    assert.equal(strict.status, 'error')
    assert.equal(strict.message, 'The site is OFFLINE for maintenance')
    const undone = await new MaintenanceCheck(manager)
      .failWhenOffline()
      .failWhenOffline(false)
      .run()
    assert.equal(undone.status, 'warning')

    const report = await new HealthChecks()
      .register([new MaintenanceCheck(manager).failWhenOffline()])
      .run()
    assert.isFalse(report.isHealthy)
    assert.equal(report.checks[0].name, 'Maintenance mode check')
  })

  test('a corrupt record is an error, without the record in the message', async ({ assert }) => {
    const { store, manager } = await setup()
    await manager.activate({ force: true, secret: 'a-bypass-secret-of-the-test' })
    await manager.start()
    const { secretHash } = manager.state
    store.backend.state!.data = `{"status":"offline","secretHash":x${secretHash}"}`
    await manager.sync.tick()
    assert.instanceOf(manager.lastError, errors.E_CORRUPT_STATE)
    assert.include(manager.lastError!.message, secretHash!.slice(0, 8), 'JSON.parse quotes it')

    const result = await new MaintenanceCheck(manager).run()
    assert.equal(result.status, 'error')
    assert.match(result.message, /^Cannot read the maintenance state: E_CORRUPT_STATE: /)
    assert.include(result.message, 'not valid JSON')
    assert.notInclude(JSON.stringify(result), secretHash!.slice(0, 8))
    assert.deepInclude(result.meta, { status: 'offline', assumed: false })
    assert.equal(result.meta?.store, manager.config.default)
  })

  test('an unreachable store is an error; credentials in its message are masked', async ({
    assert,
  }) => {
    const { store, manager } = await setup({ onStoreError: 'offline' })
    store.unreachable = 'connect to redis://app:hunter2@10.0.0.5:6379 failed (password=hunter2)'
    await manager.load()
    assert.isTrue(manager.assumed)

    const result = await new MaintenanceCheck(manager).run()
    assert.equal(result.status, 'error')
    assert.equal(
      result.message,
      'Cannot read the maintenance state: E_STORE_UNAVAILABLE: The maintenance store "memory" is unavailable: connect to redis://***@10.0.0.5:6379 failed (password=***)'
    )
    assert.deepInclude(result.meta, { status: 'offline', assumed: true })

    /**
     * Readable again: the report follows at once
     */
    store.unreachable = null
    await manager.sync.tick()
    const back = await new MaintenanceCheck(manager).run()
    assert.equal(back.status, 'ok')
  })
})
