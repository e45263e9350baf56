/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { defineConfig, stores } from '../../index.ts'
import { initialState } from '../../src/state.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import type { MaintenanceState, ResolvedMaintenanceConfig } from '../../src/types.ts'
import { createApp } from '../helpers.ts'

function stateAt(revision: number): MaintenanceState {
  return { ...initialState(), status: 'offline', revision, since: Date.now(), allow: ['10.0.0.1'] }
}

/**
 * What the contract tests do not cover: the memory store keeps no
 * reference a caller could change, and tells its subscribers at once
 */
test.group('Memory store', () => {
  test('written and read states are copies', async ({ assert }) => {
    const store = new MemoryStore()
    const written = stateAt(1)
    await store.compareAndSet(written, 0)
    written.allow.push('10.0.0.2')
    written.status = 'online'

    const read = (await store.read())!
    assert.equal(read.status, 'offline')
    assert.deepEqual(read.allow, ['10.0.0.1'])
    read.allow.push('10.0.0.3')
    assert.deepEqual((await store.read())!.allow, ['10.0.0.1'])

    const task = {
      id: 't1',
      name: 'task',
      pid: 1,
      host: 'test',
      startedAt: 0,
      heartbeatAt: 0,
      expiresAt: Date.now() + 60_000,
      finishedAt: null,
      status: 'running' as const,
    }
    await store.registerTask(task)
    task.name = 'changed'
    const [running] = await store.runningTasks(Date.now())
    running.status = 'finished'
    const [again] = await store.runningTasks(Date.now())
    assert.include(again, { name: 'task', status: 'running' })
  })

  test('subscribers of every store over the backend hear of a write; close stops it', async ({
    assert,
  }) => {
    const writer = new MemoryStore()
    const reader = new MemoryStore(writer.backend)
    const heard: string[] = []
    await writer.subscribe(() => heard.push('writer'))
    await reader.subscribe(() => heard.push('reader'))

    assert.isTrue(await writer.compareAndSet(stateAt(1), 0))
    await Promise.resolve()
    assert.sameMembers(heard, ['writer', 'reader'])

    await reader.close()
    assert.isFalse(await writer.compareAndSet(stateAt(2), 0), 'a lost write is not announced')
    assert.isTrue(await writer.compareAndSet(stateAt(2), 1))
    await Promise.resolve()
    assert.sameMembers(heard, ['writer', 'reader', 'writer'])
    await writer.close()
  })

  test('stores.memory(): the stores of one resolved config share their records', async ({
    assert,
  }) => {
    const app = await createApp({})
    const provider = defineConfig({ default: 'memory', stores: { memory: stores.memory() } })
    const config = (await provider.resolver(app as any)) as ResolvedMaintenanceConfig
    const first = config.stores.memory()
    const second = config.stores.memory()
    assert.instanceOf(first, MemoryStore)
    assert.notStrictEqual(first, second)

    await first.compareAndSet(stateAt(1), 0)
    await first.touchSession('a', 1, Date.now() + 60_000)
    assert.equal((await second.read())!.revision, 1)
    assert.equal(await second.countSessions(Date.now()), 1)

    const other = (await provider.resolver(app as any)) as ResolvedMaintenanceConfig
    assert.isNull(await other.stores.memory().read(), 'another resolution starts empty')
  })
})
