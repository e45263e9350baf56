/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { FileStore } from '../../src/stores/file.ts'
import { initialState } from '../../src/state.ts'
import { makeTempDir } from '../helpers.ts'
import { createFixtureApp } from '../fixture_app.ts'

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

/**
 * The mode of a file, without the type bits
 */
async function modeOf(path: string) {
  const { mode } = await stat(path)
  return mode & 0o777
}

test.group('File store | file modes (issue 25, item 8)', () => {
  test('the state, session and task files are 0600, the lock file and the static page 0644', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const on = await app.ace(['offline:on', '--force', '--secret=a-secret-of-twenty-chars'])
    assert.equal(on.code, 0, on.stderr)
    const store = app.store as FileStore
    const now = Date.now()
    await store.touchSession('a-session', 42, now + 60_000)
    await store.dropSession('a-session', now + 60_000)
    await store.touchSession('b-session', 43, now + 60_000)
    await store.registerTask({
      id: 't1',
      name: 'import:users',
      pid: process.pid,
      host: 'test',
      startedAt: now,
      heartbeatAt: now,
      expiresAt: now + 60_000,
      finishedAt: null,
      status: 'running',
    })
    const directory = app.env.MAINTENANCE_DIR

    assert.equal(await modeOf(join(directory, 'state.json')), 0o600, 'state')
    assert.equal(await modeOf(join(directory, 'sessions', 'b-session')), 0o600, 'session')
    assert.equal(await modeOf(join(directory, 'logged_out', 'a-session')), 0o600, 'logged out')
    assert.equal(await modeOf(join(directory, 'tasks', 't1.json')), 0o600, 'task')
    assert.equal(await modeOf(app.lockFile), 0o644, 'lock file')
    assert.equal(await modeOf(app.env.MAINTENANCE_STATIC_PAGE), 0o644, 'static page')

    /**
     * Rewrites keep the mode
     */
    await store.heartbeatTask('t1', now + 1000, now + 61_000)
    assert.equal(await modeOf(join(directory, 'tasks', 't1.json')), 0o600, 'task after a heartbeat')
    await store.touchSession('b-session', 43, now + 120_000)
    assert.equal(await modeOf(join(directory, 'sessions', 'b-session')), 0o600, 'session rewritten')
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    assert.equal(await modeOf(join(directory, 'state.json')), 0o600, 'state rewritten')
  }).timeout(60_000)

  test('a state file left 0644 by an older version is 0600 after the next write', async ({
    assert,
  }) => {
    const directory = await makeTempDir()
    await mkdir(directory, { recursive: true })
    const path = join(directory, 'state.json')
    await writeFile(path, JSON.stringify(stateAt(1, 'old')), { mode: 0o644 })
    await chmod(path, 0o644)
    const store = new FileStore(directory)
    assert.isTrue(await store.compareAndSet(stateAt(2, 'new'), 1))
    assert.equal(await modeOf(path), 0o600)
    assert.equal((await store.read())!.message, 'new')
  })
})
