/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { QueueGate } from '../src/queue/queue_gate.ts'
import { createManager, createStores } from './helpers.ts'

/**
 * Issue 25 item 5, the race itself: a worker's copy of the state says
 * ONLINE, so it takes a job, while another process has just put the site
 * OFFLINE (`offline:on --force`) and its copy has not caught up. Two real
 * managers on one file store stand for the two processes: the worker's
 * gate decides to take a job, then the other goes OFFLINE, then the job
 * is executed, in that order, every run.
 */
test.group('Queue gate | a job taken on a stale ONLINE', () => {
  test('does not run while OFFLINE, and runs exactly once after offline:off', async ({
    assert,
    cleanup,
  }) => {
    const [store] = await createStores('file')
    const worker = await createManager(store)
    const command = await createManager(store)
    await worker.refresh()
    await command.refresh()
    const logs: string[] = []
    const logger = {
      info: (line: string) => logs.push(line),
      warn: (line: string) => logs.push(line),
    }
    const gate = new QueueGate()
    await gate.attach({
      container: { make: async (name: string) => (name === 'logger' ? logger : worker) },
    } as any)
    cleanup(() => gate.close())

    assert.isTrue(await gate.mayTake('default'), 'the worker takes a job: its copy says ONLINE')
    const forced = await command.activate({ force: true })
    assert.equal(forced.state.status, 'offline')

    let runs = 0
    const job = { id: 'job-1', name: 'ImportUsers' } as any
    const running = gate.execute(async () => ++runs, job, 'default')
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    assert.equal(runs, 0, 'not run while OFFLINE')
    const tasks = await store.runningTasks(Date.now())
    assert.lengthOf(tasks, 0, 'and not counted as a running task meanwhile')

    await command.deactivate()
    assert.equal(await running, 1)
    assert.equal(runs, 1, 'run exactly once, after offline:off')
    assert.isTrue(
      logs.some((line) => line.includes('waits in the worker until the site is ONLINE'))
    )
  }).timeout(20_000)
})
