/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { FIXTURE_ROOT, createFixtureApp } from './fixture_app.ts'
import { freePort } from '../support/free_port.ts'
import { outputOf } from './helpers.ts'

/**
 * The fixture app's own Japa suite (tests/fixtures/app/app_tests), run as
 * an app runs `node ace test`: its tests fake PENDING and OFFLINE and
 * drive its HTTP server with @japa/api-client
 */
test.group('maintenance.fake() in an app test suite', () => {
  test('the app tests pass, and the configured store and lock file stay untouched', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const child = spawn(
      process.execPath,
      ['--import=@poppinss/ts-exec', join(FIXTURE_ROOT, 'bin/test.ts')],
      {
        env: {
          PATH: process.env.PATH!,
          HOME: process.env.HOME ?? '/tmp',
          ...app.env,
          HOST: '127.0.0.1',
          PORT: String(await freePort()),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    )
    const { code, output } = await outputOf(child)

    assert.equal(code, 0, output)
    assert.match(output, /Tests\s+3 passed \(3\)/, output)
    assert.match(output, /ONLINE → OFFLINE by maintenance\.fake\(\) \(forced\)/)
    assert.isFalse(existsSync(app.env.MAINTENANCE_DIR), 'the file store was never written')
    assert.isFalse(existsSync(app.lockFile), 'no lock file')
  }).timeout(60_000)
})
