/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { mkdir, writeFile } from 'node:fs/promises'
import { test } from '@japa/runner'
import { createFixtureApp, type FixtureApp } from './fixture_app.ts'

/**
 * The fields `offline:status --json` printed before `--exit-code` and
 * `--watch` existed: they may gain company, never go
 */
const JSON_FIELDS = [
  'status',
  'activeSessions',
  'runningTasks',
  'since',
  'deadline',
  'message',
  'retryAfter',
  'redirect',
  'forced',
  'requestedBy',
  'bypassSecret',
  'allow',
  'store',
  'lockFile',
]

function lastJSON(stdout: string) {
  return JSON.parse(stdout.trim().split('\n').at(-1)!)
}

/**
 * The lines `--watch` printed (without a TTY), timestamps dropped
 */
function watchLines(stdout: string) {
  return stdout
    .split('\n')
    .filter((line) => /^\d{4}-\d\d-\d\dT/.test(line))
    .map((line) => line.replace(/^\S+ /, ''))
}

async function corruptState(app: FixtureApp) {
  await mkdir(app.env.MAINTENANCE_DIR, { recursive: true })
  await writeFile(`${app.env.MAINTENANCE_DIR}/state.json`, '{"status": "offl')
}

test.group('offline:status | exit codes', () => {
  test('--exit-code: 0 ONLINE, 3 PENDING, 4 OFFLINE, 5 READ-ONLY; without it 0 for each', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')

    const online = await app.ace(['offline:status', '--exit-code'])
    assert.equal(online.code, 0, online.stderr)
    assert.match(online.stdout, /^Status: ONLINE - Active sessions: 0$/m)

    await app.store.touchSession('session-a', 1, Date.now() + 60_000)
    const on = await app.ace(['offline:on', '--no-wait'])
    assert.equal(on.code, 0, on.stderr)
    const [pending, pendingDefault] = await Promise.all([
      app.ace(['offline:status', '--exit-code']),
      app.ace(['offline:status']),
    ])
    assert.equal(pending.code, 3, pending.stderr)
    assert.match(pending.stdout, /^Status: PENDING - Active sessions: 1$/m)
    assert.equal(pendingDefault.code, 0, 'no flag: 0 for a readable state, as before')

    const force = await app.ace(['offline:on', '--force'])
    assert.equal(force.code, 0, force.stderr)
    const [offline, offlineDefault, check] = await Promise.all([
      app.ace(['offline:status', '--exit-code', '--json']),
      app.ace(['offline:status', '--json']),
      app.ace(['offline:check', '--exit-code']),
    ])
    assert.equal(offline.code, 4, offline.stderr)
    const body = lastJSON(offline.stdout)
    assert.equal(body.status, 'offline')
    assert.includeMembers(Object.keys(body), JSON_FIELDS, '--json keeps every field')
    assert.equal(offlineDefault.code, 0)
    assert.deepEqual(Object.keys(lastJSON(offlineDefault.stdout)), [
      ...JSON_FIELDS,
      'readOnly',
      'activeSessionsCapped',
      'schedule',
      'jobsInFlight',
    ])
    assert.equal(check.code, 4, 'the alias takes the flag too')

    const readOnly = await app.ace(['offline:on', '--read-only'])
    assert.equal(readOnly.code, 0, readOnly.stderr)
    const [readOnlyStatus, readOnlyJson] = await Promise.all([
      app.ace(['offline:status', '--exit-code']),
      app.ace(['offline:status', '--json']),
    ])
    assert.equal(readOnlyStatus.code, 5)
    assert.match(readOnlyStatus.stdout, /^Status: READ-ONLY - Active sessions: 1$/m)
    assert.isTrue(lastJSON(readOnlyJson.stdout).readOnly)
  }).timeout(90_000)

  test('cannot tell: 2 with --exit-code for a corrupt state or an unreachable store, 1 without', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await corruptState(app)

    const redis = await createFixtureApp('redis')
    const [flagged, json, plain, unreachable] = await Promise.all([
      app.ace(['offline:status', '--exit-code']),
      app.ace(['offline:status', '--exit-code', '--json']),
      app.ace(['offline:status']),
      redis.ace(['offline:status', '--exit-code'], { REDIS_PORT: '1' }),
    ])
    assert.equal(flagged.code, 2)
    assert.include(flagged.stderr, 'is corrupt')
    assert.notInclude(flagged.stdout, 'Status:')

    assert.equal(json.code, 2)
    assert.containsSubset(lastJSON(json.stdout), { status: null, onStoreError: 'last-known' })

    assert.equal(plain.code, 1, 'unchanged without the flag')
    assert.equal(unreachable.code, 2)
    assert.include(unreachable.stderr, 'The maintenance store "redis" is unavailable')
  })

  test('bad flags are a clear error and exit 1', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const cases: [string[], string][] = [
      [['--watch', '--interval=soon'], 'Invalid duration "soon" for --interval'],
      [['--watch', '--interval=0'], '--interval must be at least 100ms'],
      [['--interval=2'], '--interval only applies with --watch'],
      [['--watch', '--exit-code'], 'cannot be combined with --watch'],
      [['--bogus'], 'Unknown flag "--bogus"'],
    ]
    const results = await Promise.all(cases.map(([flags]) => app.ace(['offline:status', ...flags])))
    cases.forEach(([flags, message], index) => {
      assert.equal(results[index].code, 1, flags.join(' '))
      assert.include(results[index].stderr, message, flags.join(' '))
    })
    assert.notExists(await app.store.read(), 'nothing was written')
  }).timeout(60_000)
})

test.group('offline:status | --watch', () => {
  test('prints one line per change, sees offline:on from another process, ends 0 on SIGINT', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const watch = app.spawnAce(['offline:status', '--watch', '--interval=200ms'])
    await watch.waitForOutput(/^\S+ ONLINE: 0 active sessions, 0 running tasks$/m)

    const on = await app.ace(['offline:on', '--force'])
    assert.equal(on.code, 0, on.stderr)
    await watch.waitForOutput(/^\S+ OFFLINE: 0 active sessions, 0 running tasks$/m, 5_000)

    /**
     * Several more readings, none of them a change
     */
    await new Promise((resolve) => setTimeout(resolve, 700))
    watch.child.kill('SIGINT')
    const result = await watch.done
    assert.equal(result.code, 0, result.stderr)
    assert.isNull(result.signal)
    assert.deepEqual(watchLines(result.stdout), [
      'ONLINE: 0 active sessions, 0 running tasks',
      'OFFLINE: 0 active sessions, 0 running tasks',
    ])
    assert.equal(result.stderr, '')
  })

  test('follows a drain (census, then OFFLINE) and goes on through a corrupt state', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    await app.store.touchSession('b', 2, Date.now() + 60_000)
    const on = await app.ace(['offline:on', '--no-wait', '--timeout=5m'])
    assert.equal(on.code, 0, on.stderr)

    const watch = app.spawnAce(['offline:status', '--watch', '--interval=200ms'])
    await watch.waitForOutput(/PENDING: 2 active sessions, 0 running tasks - deadline \S+Z$/m)
    await app.store.dropSession('a')
    await watch.waitForOutput(/PENDING: 1 active session, 0 running tasks/)
    await app.store.dropSession('b')
    await watch.waitForOutput(/OFFLINE: 0 active sessions/)
    assert.equal((await app.store.read())!.status, 'offline', 'the watch promoted the drain')

    await corruptState(app)
    await watch.waitForOutput(/UNKNOWN: .*is corrupt.* - Store error policy: /)
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0, off.stderr)
    await watch.waitForOutput(/ONLINE: 0 active sessions/)

    watch.child.kill('SIGTERM')
    const result = await watch.done
    assert.equal(result.code, 0, result.stderr)
    const lines = watchLines(result.stdout)
    assert.lengthOf(lines, 5, lines.join('\n'))
    assert.match(lines[3], /^UNKNOWN: /)
    assert.equal(lines[4], 'ONLINE: 0 active sessions, 0 running tasks')
  }).timeout(60_000)

  test('--json prints one JSON line per change, with the fields of --json and its time', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const watch = app.spawnAce(['offline:status', '--watch', '--json', '--interval=0.2'])
    await watch.waitForOutput(/"status":"online"/)
    const on = await app.ace(['offline:on', '--force', '--message=Back soon'])
    assert.equal(on.code, 0, on.stderr)
    await watch.waitForOutput(/"status":"offline"/, 5_000)
    await new Promise((resolve) => setTimeout(resolve, 500))

    watch.child.kill('SIGINT')
    const result = await watch.done
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{"status"'))
      .map((line) => JSON.parse(line))
    assert.deepEqual(
      lines.map((line) => line.status),
      ['online', 'offline']
    )
    assert.includeMembers(Object.keys(lines[1]), [...JSON_FIELDS, 'at'])
    assert.equal(lines[1].message, 'Back soon')
    assert.isFalse(Number.isNaN(Date.parse(lines[1].at)))
  })
})
