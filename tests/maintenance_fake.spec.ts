/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from '@japa/runner'
import type { MaintenanceManager } from '../src/maintenance_manager.ts'
import { createManager, createStores, makeTempDir } from './helpers.ts'

test.group('maintenance.fake()', () => {
  test('OFFLINE on a memory store: the configured store and the lock file stay untouched', async ({
    assert,
  }) => {
    const [store] = await createStores('file')
    const lockFile = join(await makeTempDir(), 'down')
    const events: string[] = []
    const manager = await createManager(store, { lockFile }, { emit: (name) => events.push(name) })
    await manager.refresh()

    const fake = await manager.fake('offline', { message: 'Faked' })
    assert.isTrue(manager.isOffline)
    assert.equal(manager.state.message, 'Faked')
    fake.assertOffline()
    assert.throws(() => fake.assertOnline(), 'Expected the site to be ONLINE, it is OFFLINE')
    assert.isNull(await store.read(), 'nothing written to the configured store')
    assert.isFalse(existsSync(lockFile), 'no lock file')
    assert.deepEqual(events, ['maintenance:offline'])

    await fake.restore()
    assert.isTrue(manager.isOnline)
    assert.isFalse(existsSync(lockFile))
    await assert.rejects(() => fake.to('offline'), 'This maintenance fake has been restored')
  })

  test('PENDING holds through the refresh loop until the drain is ended', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store, { refreshInterval: '50ms' })
    await manager.start()
    const fake = await manager.fake('pending')
    fake.assertPending()
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.isTrue(manager.isPending, 'the loop did not promote it')

    await fake.endDrain()
    fake.assertOffline()
    await fake.to('online')
    fake.assertOnline()
    await fake.to('pending')
    fake.assertPending()
    await fake.to('read-only')
    fake.assertReadOnly()
    assert.isTrue(manager.state.readOnly)
    assert.throws(() => fake.assertOffline(), 'Expected the site to be OFFLINE, it is READ-ONLY')
    await fake.to('offline')
    assert.isFalse(manager.state.readOnly, 'a fake OFFLINE is not read-only')
    assert.strictEqual(await manager.fake('offline'), fake, 'one fake until restored')
    fake.assertOffline()
  })

  test('restore brings back the state of the configured store', async ({ assert }) => {
    const [store, other] = await createStores('file', 2)
    const writer = await createManager(other)
    await writer.activate({ force: true, message: 'Real' })
    const manager = await createManager(store)
    await manager.refresh()

    const fake = await manager.fake('online')
    assert.isTrue(manager.isOnline)
    await fake.restore()
    assert.isTrue(manager.isOffline)
    assert.equal(manager.state.message, 'Real')
  })

  let shared: MaintenanceManager
  test('a fake left in place by a test…', async () => {
    const [store] = await createStores('memory')
    shared = await createManager(store)
    await shared.refresh()
    await shared.fake('offline')
  }).teardown(() => {})

  test('…is restored once that test has ended', async ({ assert }) => {
    assert.isTrue(shared.isOnline)
    assert.isNull(await shared.use().read(), 'and the configured store was never written')
  })
})
