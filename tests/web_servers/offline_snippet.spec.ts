/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { webServerBypassValue } from '../../src/web_servers/main.ts'
import { createFixtureApp } from '../fixture_app.ts'
import { createSite } from './helpers.ts'

/**
 * `node ace offline:snippet` in a real app process
 */
test.group('offline:snippet', () => {
  test('--secret= generates a long secret, prints it once and derives the cookie', async ({
    assert,
    cleanup,
  }) => {
    const app = await createFixtureApp('file')
    const site = await createSite()
    cleanup(() => site.remove())
    const base = ['offline:snippet', 'nginx', `--page-dir=${site.pageDir}`]

    const result = await app.ace([...base, '--secret='])
    assert.equal(result.code, 0, result.stderr)
    const secret = /Bypass secret \(shown once\): ([A-Za-z0-9_-]+)/.exec(result.stderr)?.[1]
    assert.isString(secret)
    assert.isAtLeast(secret!.length, 32)
    assert.include(result.stderr, `offline:on --secret=${secret}`)
    assert.notInclude(result.stdout, 'Bypass secret')
    assert.include(result.stdout, `location = /${secret} {`)
    assert.include(
      result.stdout,
      `if ($cookie_site_maintenance_ws = "${webServerBypassValue(secret!)}")`
    )

    for (const flags of [
      ['--secret=x'],
      ['--secret=' + 'a'.repeat(40)],
      ['--bypass-cookie=site_maintenance_bypass=x'],
      ['--bypass-cookie=site_maintenance_ws'],
      ['--secret=Kp3x_Vq9-Lm2Tz7Rw4Yb8Nc1Hd6Gf5Js0', '--bypass-cookie=site_maintenance_bypass'],
    ]) {
      const refused = await app.ace([...base, ...flags])
      assert.notEqual(refused.code, 0, flags.join(' '))
    }
  }).timeout(60_000)

  test('haproxy loads the Lua file from deploy/maintenance/, as configure writes it', async ({
    assert,
    cleanup,
  }) => {
    const app = await createFixtureApp('file')
    const site = await createSite()
    cleanup(() => site.remove())
    const result = await app.ace(['offline:snippet', 'haproxy', `--page-dir=${site.pageDir}`])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /# {3}lua-load \/\S+\/deploy\/maintenance\/site_maintenance\.lua\n/)
  }).timeout(60_000)
})
