/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { test } from '@japa/runner'
import { STORES } from './helpers.ts'
import { createFixtureApp } from './fixture_app.ts'

function json(stdout: string) {
  const line = stdout
    .trim()
    .split('\n')
    .findLast((l) => l.startsWith('{"status"'))
  return JSON.parse(line!)
}

/**
 * The messages the app logger wrote at warn (JSON lines)
 */
function warnings(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{"level":40'))
    .map((line) => JSON.parse(line).msg)
}

test.group('Ace commands (real processes) | every store', () => {
  test('{$self}: offline:on with nothing running goes OFFLINE at once, offline:off back ONLINE')
    .with(STORES)
    .run(async ({ assert }, name) => {
      const app = await createFixtureApp(name)

      const on = await app.ace(['offline:on', '--message=Upgrading the database', '--retry=120'])
      assert.equal(on.code, 0, on.stderr)
      assert.include(on.stdout, 'The site is OFFLINE')
      assert.isTrue(existsSync(app.lockFile), 'lock file created')

      const status = await app.ace(['offline:status', '--json'])
      assert.equal(status.code, 0, status.stderr)
      assert.containsSubset(json(status.stdout), {
        status: 'offline',
        activeSessions: 0,
        runningTasks: 0,
        message: 'Upgrading the database',
        retryAfter: 120,
        lockFile: app.lockFile,
      })

      const off = await app.ace(['offline:off'])
      assert.equal(off.code, 0, off.stderr)
      assert.include(off.stdout, 'The site is ONLINE')
      assert.isFalse(existsSync(app.lockFile), 'lock file removed')
      assert.equal((await app.store.read())!.status, 'online')

      const plain = await app.ace(['offline:status'])
      assert.match(plain.stdout, /^Status: ONLINE - Active sessions: 0$/m)
      assert.match(plain.stdout, /^Running tasks: 0$/m)
    })

  test('{$self}: a logged-in session makes offline:on PENDING; the drain ends it')
    .with(STORES)
    .run(async ({ assert }, name) => {
      const app = await createFixtureApp(name)
      await app.store.touchSession('session-a', 1, Date.now() + 60_000)

      const on = await app.ace(['offline:on', '--no-wait'])
      assert.equal(on.code, 0, on.stderr)
      assert.include(on.stdout, 'The site is PENDING: 1 active session, 0 running tasks')
      assert.isFalse(existsSync(app.lockFile), 'no lock file while PENDING')

      const status = await app.ace(['offline:status'])
      assert.match(status.stdout, /^Status: PENDING - Active sessions: 1$/m)

      await app.store.dropSession('session-a')
      const after = await app.ace(['offline:status', '--json'])
      assert.equal(json(after.stdout).status, 'offline', 'offline:status promotes a finished drain')
      assert.isTrue(existsSync(app.lockFile))
    })
})

test.group('Ace commands (real processes) | drain', () => {
  test('offline:on waits with a live count and exits 0 once OFFLINE', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    await app.store.touchSession('b', 2, Date.now() + 60_000)

    const waiting = app.spawnAce(['offline:on', '--timeout=5m'])
    await waiting.waitForOutput(/^2 active sessions, 0 running tasks — \d+ minutes left$/m)
    await app.store.dropSession('a')
    await waiting.waitForOutput(/1 active session, 0 running tasks/)
    await app.store.dropSession('b')

    const result = await waiting.done
    assert.equal(result.code, 0, result.stderr)
    assert.include(result.stdout, 'The site is OFFLINE')
    assert.isTrue(existsSync(app.lockFile))
  })

  test('offline:on killed with SIGKILL while waiting: the deadline still takes the site OFFLINE', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)

    const waiting = app.spawnAce(['offline:on', '--timeout=2s'])
    await waiting.waitForOutput(/1 active session/)
    waiting.child.kill('SIGKILL')
    const killed = await waiting.done
    assert.equal(killed.signal, 'SIGKILL')
    assert.equal((await app.store.read())!.status, 'pending')

    await new Promise((resolve) => setTimeout(resolve, 2200))
    const status = await app.ace(['offline:status', '--json'])
    const body = json(status.stdout)
    assert.equal(body.status, 'offline', 'promoted once the stored deadline passed')
    assert.equal(body.activeSessions, 1, 'the session is still there: the deadline decided')
    assert.isTrue(existsSync(app.lockFile))
  })

  test('Ctrl-C while waiting leaves the site PENDING and says so', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)

    const waiting = app.spawnAce(['offline:on'])
    await waiting.waitForOutput(/1 active session, 0 running tasks — .* left/)
    waiting.child.kill('SIGINT')
    const result = await waiting.done
    assert.equal(result.code, 130)
    assert.include(result.stdout + result.stderr, 'The site stays PENDING')
    assert.equal((await app.store.read())!.status, 'pending')
  })

  test('SIGTERM while waiting ends the wait at once, exits 143 and leaves the site PENDING', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)

    const waiting = app.spawnAce(['offline:on'])
    await waiting.waitForOutput(/1 active session, 0 running tasks — .* left/)
    const sent = Date.now()
    waiting.child.kill('SIGTERM')
    const result = await Promise.race([
      waiting.done,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
    ])
    if (!result) waiting.child.kill('SIGKILL')
    assert.isNotNull(result, 'still waiting 5 s after SIGTERM')
    assert.isBelow(Date.now() - sent, 5000)
    assert.equal(result!.code, 143, result!.stderr)
    assert.include(
      result!.stdout + result!.stderr,
      'Stopped waiting (SIGTERM). The site stays PENDING'
    )
    assert.equal((await app.store.read())!.status, 'pending')
  })

  test('SIGHUP (an SSH session that drops) while waiting: as SIGTERM, exits 129 and leaves the site PENDING', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)

    const waiting = app.spawnAce(['offline:on'])
    await waiting.waitForOutput(/1 active session, 0 running tasks — .* left/)
    waiting.child.kill('SIGHUP')
    const result = await Promise.race([
      waiting.done,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
    ])
    if (!result) waiting.child.kill('SIGKILL')
    assert.isNotNull(result, 'still waiting 5 s after SIGHUP')
    assert.isNull(result!.signal, 'not killed by the signal')
    assert.equal(result!.code, 129, result!.stderr)
    assert.include(
      result!.stdout + result!.stderr,
      'Stopped waiting (SIGHUP). The site stays PENDING'
    )
    assert.equal((await app.store.read())!.status, 'pending')
  })

  test('offline:off while offline:on waits: the waiter fails and says the drain was cancelled', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)

    const waiting = app.spawnAce(['offline:on'])
    await waiting.waitForOutput(/1 active session, 0 running tasks — .* left/)
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)

    const result = await waiting.done
    assert.equal(result.code, 1, result.stdout)
    assert.match(
      result.stderr,
      /The drain was cancelled: the site is ONLINE again \(offline:off by .+\)/
    )
    assert.notInclude(result.stdout, 'The site is OFFLINE')
    assert.equal((await app.store.read())!.status, 'online')
  })

  test('offline:on --force skips the drain', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    const result = await app.ace(['offline:on', '--force'])
    assert.equal(result.code, 0, result.stderr)
    const state = await app.store.read()
    assert.equal(state!.status, 'offline')
    assert.isTrue(state!.forced)
  })

  test('offline:off during PENDING cancels the drain', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    await app.ace(['offline:on', '--no-wait'])
    const off = await app.ace(['offline:deactivate'])
    assert.equal(off.code, 0, off.stderr)
    assert.equal((await app.store.read())!.status, 'online')
  })
})

test.group('Ace commands (real processes) | races', () => {
  test('{$self}: four racing offline:on --force make one transition')
    .with(['file', 'pg', 'redis'] as const)
    .run(async ({ assert }, name) => {
      const app = await createFixtureApp(name)
      const results = await Promise.all([1, 2, 3, 4].map(() => app.ace(['offline:on', '--force'])))
      for (const result of results) assert.equal(result.code, 0, result.stderr)
      const transitions = results.filter((r) => r.stdout.includes('ONLINE → OFFLINE'))
      const already = results.filter((r) => r.stdout.includes('already OFFLINE'))
      assert.lengthOf(transitions, 1)
      assert.lengthOf(already, 3)
      assert.equal((await app.store.read())!.revision, 1)
    })

  test('{$self}: offline:on and offline:off racing end in a consistent state')
    .with(['file', 'mysql', 'redis'] as const)
    .run(async ({ assert }, name) => {
      const app = await createFixtureApp(name)
      const results = await Promise.all([
        app.ace(['offline:on', '--force']),
        app.ace(['offline:off']),
        app.ace(['offline:on', '--force']),
        app.ace(['offline:off']),
      ])
      for (const result of results) assert.equal(result.code, 0, result.stderr)
      const state = (await app.store.read())!
      const changes = results.filter((r) => / → /.test(r.stdout)).length
      assert.equal(state.revision, changes, 'every successful transition is one revision')
      assert.equal(existsSync(app.lockFile), state.status === 'offline')
    })
})

test.group('Ace commands (real processes) | bad input', () => {
  test('{label} fails with a clear one-line error and changes nothing')
    .with([
      {
        label: 'offline:on --timeout=soon',
        args: ['offline:on', '--timeout=soon'],
        error: 'Invalid duration "soon" for --timeout',
      },
      {
        label: 'offline:on --retry=-5',
        args: ['offline:on', '--retry=-5'],
        error: 'Invalid --retry "-5"',
      },
      {
        label: 'offline:on --allow=10.0.0.0/33',
        args: ['offline:on', '--allow=10.0.0.0/33'],
        error: 'Invalid --allow value "10.0.0.0/33"',
      },
      {
        label: 'offline:on --allow=example.com',
        args: ['offline:on', '--allow=example.com'],
        error: 'Invalid --allow value "example.com"',
      },
      {
        label: 'offline:on --redirect=javascript:alert(1)',
        args: ['offline:on', '--redirect=javascript:alert(1)'],
        error: 'Invalid --redirect',
      },
      {
        label: 'offline:on --secret=a b',
        args: ['offline:on', '--secret=a b'],
        error: 'Invalid --secret',
      },
    ])
    .run(async ({ assert }, { args, error }) => {
      const app = await createFixtureApp('file')
      const result = await app.ace(args)
      assert.equal(result.code, 1)
      assert.include(result.stderr, error)
      assert.lengthOf(result.stderr.trim().split('\n'), 1)
      assert.isNull(await app.store.read(), 'state untouched')
      assert.isFalse(existsSync(app.lockFile))
    })

  test('an unreachable store is a clear error and a non-zero exit', async ({ assert }) => {
    const app = await createFixtureApp('redis')
    const result = await app.ace(['offline:on', '--force'], { REDIS_PORT: '1' })
    assert.equal(result.code, 1)
    assert.include(result.stderr, 'The maintenance store "redis" is unavailable')
    assert.isFalse(existsSync(app.lockFile))
  })

  test('a corrupt state file is reported, never read as ONLINE', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const { mkdir } = await import('node:fs/promises')
    await mkdir(app.env.MAINTENANCE_DIR, { recursive: true })
    await writeFile(`${app.env.MAINTENANCE_DIR}/state.json`, '{"status": "offl')
    const result = await app.ace(['offline:status'])
    assert.equal(result.code, 1)
    assert.include(result.stderr, 'is corrupt')
    assert.notInclude(result.stdout, 'ONLINE')
    assert.include(result.stdout, 'onStoreError "last-known"; lock file absent')

    await writeFile(app.lockFile, '{}')
    const locked = await app.ace(['offline:status', '--json'])
    assert.equal(locked.code, 1)
    assert.containsSubset(JSON.parse(locked.stdout.trim().split('\n').at(-1)!), {
      status: null,
      onStoreError: 'last-known',
      lockFilePresent: true,
    })
  })
})

test.group('Ace commands (real processes) | corrupt state', () => {
  test('offline:off and offline:on --force replace a corrupt state file; the others refuse', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const { mkdir } = await import('node:fs/promises')
    const stateFile = `${app.env.MAINTENANCE_DIR}/state.json`
    await mkdir(app.env.MAINTENANCE_DIR, { recursive: true })
    await writeFile(stateFile, '{"status": "offl')

    const status = await app.ace(['offline:status'])
    assert.equal(status.code, 1)
    assert.include(
      status.stderr,
      '"node ace offline:off" or "node ace offline:on --force" replaces it'
    )
    const on = await app.ace(['offline:on'])
    assert.equal(on.code, 1)
    assert.include(on.stderr, 'is corrupt')
    assert.equal(await readFile(stateFile, 'utf8'), '{"status": "offl', 'refused, untouched')

    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    const [replaced] = warnings(forced.stdout)
    assert.match(replaced, /^site-maintenance: replaced a corrupt state record with OFFLINE by /)
    assert.include(replaced, `${stateFile} is corrupt (`)
    assert.include(replaced, `It read: ${JSON.stringify('{"status": "offl')}`)
    assert.include(forced.stdout, 'The site is OFFLINE')
    assert.equal((await app.store.read())!.status, 'offline')
    assert.isTrue(existsSync(app.lockFile))

    await writeFile(stateFile, 'garbage')
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    assert.match(warnings(off.stdout)[0], /with ONLINE by .+ is corrupt .+ It read: "garbage"$/)
    assert.include(off.stdout, 'The site is ONLINE')
    assert.equal((await app.store.read())!.status, 'online')
    assert.isFalse(existsSync(app.lockFile))

    const after = await app.ace(['offline:status'])
    assert.equal(after.code, 0, after.stderr)
    assert.match(after.stdout, /^Status: ONLINE/m)
  })
})

test.group('Ace commands (real processes) | CommandTask', () => {
  test('{$self}: offline:on waits for a running CommandTask, which then lets it go OFFLINE')
    .with(['file', 'sqlite', 'redis'] as const)
    .run(async ({ assert }, name) => {
      const app = await createFixtureApp(name)
      /**
       * The task works until the test lets it finish (a minute at most),
       * so a slow machine cannot end it before the refusal is checked
       */
      const finish = join(dirname(app.lockFile), `finish-${name}`)
      const task = app.spawnAce(['import:users', '--duration=60000', `--until=${finish}`])
      await task.waitForOutput(/task .* started/)

      const waiting = app.spawnAce(['offline:on'])
      await waiting.waitForOutput(/0 active sessions, 1 running task/)

      const refused = await app.ace(['import:users', '--duration=10'])
      assert.equal(refused.code, 1)
      assert.include(refused.stderr, 'Cannot start "import:users": the site is PENDING')
      await writeFile(finish, '')

      const taskResult = await task.done
      assert.equal(taskResult.code, 0, taskResult.stderr)
      const result = await waiting.done
      assert.equal(result.code, 0, result.stderr)
      assert.include(result.stdout, 'The site is OFFLINE')
    })

  test('a task killed with SIGKILL is no longer waited for once its heartbeat is stale', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const extra = { MAINTENANCE_TASK_TIMEOUT: '1s' }
    const task = app.spawnAce(['import:users', '--duration=60000'], extra)
    await task.waitForOutput(/task .* started/)
    assert.lengthOf(await app.store.runningTasks(Date.now()), 1)
    task.child.kill('SIGKILL')
    await task.done

    assert.lengthOf(await app.store.runningTasks(Date.now()), 1, 'still counted until stale')
    await new Promise((resolve) => setTimeout(resolve, 1200))
    assert.lengthOf(await app.store.runningTasks(Date.now()), 0)
    const on = await app.ace(['offline:on'])
    assert.include(on.stdout, 'The site is OFFLINE')
  })

  test('a task stopped with SIGTERM is marked failed at once', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const task = app.spawnAce(['import:users', '--duration=60000'])
    await task.waitForOutput(/task .* started/)
    task.child.kill('SIGTERM')
    const result = await task.done
    assert.notEqual(result.code, 0)
    assert.lengthOf(await app.store.runningTasks(Date.now()), 0)
  })

  test('a task stopped with SIGHUP is marked failed at once', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const task = app.spawnAce(['import:users', '--duration=60000'])
    await task.waitForOutput(/task .* started/)
    task.child.kill('SIGHUP')
    const result = await task.done
    assert.notEqual(result.code, 0)
    assert.lengthOf(await app.store.runningTasks(Date.now()), 0)
    const tasks = join(app.env.MAINTENANCE_DIR, 'tasks')
    const [name] = await readdir(tasks)
    const record = JSON.parse(await readFile(join(tasks, name), 'utf8'))
    assert.equal(record.status, 'failed')
  })

  test('a task whose body throws is marked failed, and the command fails', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const result = await app.ace(['import:users', '--duration=10', '--fail'])
    assert.equal(result.code, 1)
    assert.include(result.stderr, 'import failed')
    assert.lengthOf(await app.store.runningTasks(Date.now()), 0)
  })

  test('--force starts a task while OFFLINE', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.ace(['offline:on', '--force'])
    const result = await app.ace(['import:users', '--duration=10', '--force'])
    assert.equal(result.code, 0, result.stderr)
    assert.include(result.stdout, 'import done')
  })
})
