/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from '@japa/runner'
import { HostMirror } from '../../src/host_mirror.ts'
import type { MaintenancePage } from '../../src/maintenance_page.ts'
import type { MaintenanceState } from '../../src/types.ts'

/**
 * The lock file is read by the web server's user, not the app's: HAProxy
 * opens it, so it must be 0644 whatever the app's umask
 */
test.group('Lock file | permissions', () => {
  test('written 0644 under umask 077', async ({ assert, cleanup }) => {
    const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-lock-'))
    cleanup(() => rm(directory, { recursive: true, force: true }))
    const previous = process.umask(0o077)
    cleanup(() => {
      process.umask(previous)
    })

    const lockFile = join(directory, 'tmp/maintenance/down')
    const mirror = new HostMirror(
      { lockFile, staticPage: null, retryAfter: 60 } as any,
      { html: () => '' } as unknown as MaintenancePage
    )
    await mirror.reflect({
      status: 'offline',
      revision: 1,
      since: Date.now(),
      retryAfter: 120,
    } as unknown as MaintenanceState)

    const { mode } = await stat(lockFile)
    assert.equal(mode & 0o777, 0o644)
  })
})
