/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readFile, utimes, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { FileStore } from '../../src/stores/file.ts'
import { initialState } from '../../src/state.ts'
import { makeTempDir } from '../helpers.ts'

function stateAt(revision: number, message: string) {
  return { ...initialState(), status: 'offline' as const, revision, since: Date.now(), message }
}

test.group('File store | the writers lock', () => {
  test('a stale lock is taken over by exactly one of many racing writers, {$self}')
    .with(['round 1', 'round 2', 'round 3'])
    .run(async ({ assert }) => {
      const directory = await makeTempDir()
      await mkdir(directory, { recursive: true })
      const lock = join(directory, 'state.lock')
      await writeFile(lock, '4242:left-by-a-killed-process')
      const past = new Date(Date.now() - 60_000)
      await utimes(lock, past, past)

      const writers = Array.from({ length: 16 }, () => new FileStore(directory))
      const results = await Promise.all(
        writers.map((store, index) => store.compareAndSet(stateAt(1, `writer ${index}`), 0))
      )
      assert.equal(results.filter(Boolean).length, 1, 'one winner for revision 1')
      const winner = results.indexOf(true)
      const state = JSON.parse(await readFile(join(directory, 'state.json'), 'utf8'))
      assert.equal(state.message, `writer ${winner}`)
    })

  test('a writer never removes a lock it does not own', async ({ assert }) => {
    const directory = await makeTempDir()
    const lock = join(directory, 'state.lock')

    /**
     * A writer slow enough (a stalled disk) that another one takes its
     * lock over as stale while it is still inside
     */
    let resume!: () => void
    const paused = new Promise<void>((resolve) => (resume = resolve))
    let inside!: () => void
    const entered = new Promise<void>((resolve) => (inside = resolve))
    class StalledStore extends FileStore {
      async read() {
        inside()
        await paused
        return super.read()
      }
    }
    const slow = new StalledStore(directory)
    const writing = slow.compareAndSet(stateAt(1, 'slow'), 0)
    await entered
    await writeFile(lock, '777:took-it-over')
    resume()
    assert.isTrue(await writing)
    assert.equal(
      await readFile(lock, 'utf8'),
      '777:took-it-over',
      'the lock of the writer that took over is left alone'
    )
  })
})
