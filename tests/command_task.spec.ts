/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { CommandTask, errors } from '../index.ts'
import { createManager, createStores } from './helpers.ts'

test.group('CommandTask', () => {
  test('{$self}: `await using` registers the task and finishes it at the end of the scope')
    .with(['file', 'mysql', 'redis'] as const)
    .run(async ({ assert }, name) => {
      const [store] = await createStores(name)
      const manager = await createManager(store)
      let id: string
      {
        await using task = await CommandTask.start('import:users', { manager })
        id = task.id
        const [running] = await store.runningTasks(Date.now())
        assert.equal(running.id, id)
        assert.equal(running.name, 'import:users')
        assert.equal(running.pid, process.pid)
      }
      assert.lengthOf(await store.runningTasks(Date.now()), 0)
    })

  test('run() records a failure and rethrows', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await assert.rejects(
      () =>
        CommandTask.run(
          'reports:rebuild',
          async () => {
            throw new Error('disk full')
          },
          { manager }
        ),
      'disk full'
    )
    assert.lengthOf(await store.runningTasks(Date.now()), 0)
  })

  test('refuses to start while PENDING or OFFLINE unless forced', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await store.touchSession('s1', 1, Date.now() + 60_000)
    await manager.activate()
    await assert.rejects(
      () => CommandTask.start('import:users', { manager }),
      'Cannot start "import:users": the site is PENDING. Use { force: true } to run it anyway'
    )
    try {
      await CommandTask.start('import:users', { manager })
    } catch (error) {
      assert.instanceOf(error, errors.E_SITE_IN_MAINTENANCE)
    }
    const forced = await CommandTask.start('import:users', { manager, force: true })
    await forced.finish()
  })

  test('the heartbeat keeps a long task alive past its timeout', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    /**
     * A timeout of 1 s beats every ~333 ms: 2.5 s is over twice the
     * timeout, with room for a slow fsync on a busy disk
     */
    const task = await CommandTask.start('slow', { manager, timeout: 1 })
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    const [running] = await store.runningTasks(Date.now())
    assert.equal(running?.id, task.id, 'still counted after twice its timeout')
    assert.isAbove(running.heartbeatAt, running.startedAt)
    await task.finish()
    assert.isTrue(task.isFinished)
  })

  test('a malformed timeout is a clear error', async ({ assert }) => {
    const [store] = await createStores('file')
    const manager = await createManager(store)
    await assert.rejects(
      () => CommandTask.start('x', { manager, timeout: 'forever' }),
      'Invalid duration "forever" for CommandTask timeout. Use a number of seconds or a value such as "30s", "15m", "2h"'
    )
  })
})
