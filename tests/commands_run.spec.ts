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
import { createFixtureApp } from './fixture_app.ts'

/**
 * A Node.js one-liner as the command offline:run runs: it prints whether
 * the lock file exists while it runs, then exits with `code`
 */
function probe(lockFile: string, code = 0) {
  return [
    process.execPath,
    '-e',
    `console.log('lock file while running:', require('fs').existsSync(${JSON.stringify(lockFile)})); process.exit(${code})`,
  ]
}

test.group('Ace commands (real processes) | offline:run', () => {
  test('runs the command while OFFLINE, then brings the site back ONLINE', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const result = await app.ace(['offline:run', '--', ...probe(app.lockFile)])
    assert.equal(result.code, 0, result.stderr)
    assert.include(result.stdout, 'lock file while running: true')
    assert.include(result.stdout, 'The command succeeded; the site is ONLINE')
    assert.equal((await app.store.read())!.status, 'online')
    assert.isFalse(existsSync(app.lockFile))
  })

  test('--read-only: the command runs READ-ONLY, without a lock file', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    const result = await app.ace(['offline:run', '--read-only', '--', ...probe(app.lockFile, 5)])
    assert.equal(result.code, 5)
    assert.include(result.stdout, 'The site is READ-ONLY; running:')
    assert.include(result.stdout, 'lock file while running: false')
    assert.include(result.stderr + result.stdout, 'the site stays READ-ONLY')
    const state = await app.store.read()
    assert.equal(state!.status, 'offline')
    assert.isTrue(state!.readOnly)
  })

  test('a failing command leaves the site OFFLINE and gives its exit code', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const result = await app.ace(['offline:run', '--', ...probe(app.lockFile, 3)])
    assert.equal(result.code, 3)
    assert.include(result.stdout, 'lock file while running: true')
    assert.include(result.stderr + result.stdout, 'the site stays OFFLINE')
    assert.equal((await app.store.read())!.status, 'offline')
    assert.isTrue(existsSync(app.lockFile))
  })

  test('--online-on-failure brings it back, still with the exit code', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const result = await app.ace([
      'offline:run',
      '--online-on-failure',
      '--',
      ...probe(app.lockFile, 4),
    ])
    assert.equal(result.code, 4)
    assert.equal((await app.store.read())!.status, 'online')
  })

  test('a command that cannot start: exit 127, the site stays OFFLINE', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const result = await app.ace(['offline:run', '--', join(app.directory, 'no-such-program')])
    assert.equal(result.code, 127)
    assert.include(result.stderr + result.stdout, 'Cannot run')
    assert.equal((await app.store.read())!.status, 'offline')
  })

  test('drains first: the command runs once the drain deadline passes', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    const started = Date.now()
    const result = await app.ace(['offline:run', '--timeout=2s', '--', ...probe(app.lockFile)])
    assert.equal(result.code, 0, result.stderr)
    assert.include(result.stdout, 'The site is PENDING: 1 active session')
    assert.include(result.stdout, 'lock file while running: true')
    assert.isAtLeast(Date.now() - started, 2000)
    assert.equal((await app.store.read())!.status, 'online')
  })

  test('SIGTERM while draining: the command never runs, the site is ONLINE again', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    const running = app.spawnAce(['offline:run', '--', ...probe(app.lockFile)])
    await running.waitForOutput(/PENDING/)
    running.child.kill('SIGTERM')
    const result = await running.done
    assert.equal(result.code, 143)
    assert.notInclude(result.stdout, 'lock file while running')
    assert.include(
      result.stdout + result.stderr,
      'before the command ran; the site is ONLINE again'
    )
    assert.equal((await app.store.read())!.status, 'online')
  })

  test('SIGHUP (an SSH session that drops) while draining: as SIGTERM, the site is ONLINE again', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    const running = app.spawnAce(['offline:run', '--', ...probe(app.lockFile)])
    await running.waitForOutput(/PENDING/)
    running.child.kill('SIGHUP')
    const result = await running.done
    assert.isNull(result.signal, 'not killed by the signal')
    assert.equal(result.code, 129)
    assert.notInclude(result.stdout, 'lock file while running')
    assert.include(
      result.stdout + result.stderr,
      'Stopped (SIGHUP) before the command ran; the site is ONLINE again'
    )
    assert.equal((await app.store.read())!.status, 'online')
    assert.isFalse(existsSync(app.lockFile))
  })

  test('SIGHUP while the command runs is passed on to it; it counts as failed', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const running = app.spawnAce([
      'offline:run',
      '--',
      process.execPath,
      '-e',
      /**
       * Its words are built at run time: offline:run prints the command
       * line, which must not read as them
       */
      `process.on('SIGHUP', () => { console.log('child got', 'SIGHUP'); process.exit(7) }); console.log('child', 'running'); setTimeout(() => {}, 60000)`,
    ])
    await running.waitForOutput(/child running/)
    running.child.kill('SIGHUP')
    const result = await running.done
    assert.include(result.stdout, 'child got SIGHUP')
    assert.equal(result.code, 7, result.stdout + result.stderr)
    assert.include(result.stdout + result.stderr, 'The command failed (exit code 7)')
    assert.equal((await app.store.read())!.status, 'offline')
  })

  test('a drain cancelled by offline:off: exit 1, the command never runs', async ({ assert }) => {
    const app = await createFixtureApp('file')
    await app.store.touchSession('a', 1, Date.now() + 60_000)
    const running = app.spawnAce(['offline:run', '--', ...probe(app.lockFile)])
    await running.waitForOutput(/PENDING/)
    const off = await app.ace(['offline:off'])
    assert.equal(off.code, 0)
    const result = await running.done
    assert.equal(result.code, 1)
    assert.notInclude(result.stdout, 'lock file while running')
    assert.include(result.stdout + result.stderr, 'The drain was cancelled')
  })

  test('without a command: exit 1 naming the form, nothing changed', async ({ assert }) => {
    const app = await createFixtureApp('file')
    const result = await app.ace(['offline:run'])
    assert.equal(result.code, 1)
    assert.include(result.stdout + result.stderr, 'Give the command to run after --')
    assert.isNull(await app.store.read())
  })
})
