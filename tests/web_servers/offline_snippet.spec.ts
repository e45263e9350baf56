/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
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
      ['--retry=99999999999999'],
      ['--secret=Kp3x_Vq9-Lm2Tz7Rw4Yb8Nc1Hd6Gf5Js0', '--bypass-cookie=site_maintenance_bypass'],
    ]) {
      const refused = await app.ace([...base, ...flags])
      assert.notEqual(refused.code, 0, flags.join(' '))
    }
  }).timeout(60_000)

  test('--secret=- reads the secret from stdin, --secret= takes $MAINTENANCE_SECRET: out of argv', async ({
    assert,
    cleanup,
  }) => {
    const app = await createFixtureApp('file')
    const site = await createSite()
    cleanup(() => site.remove())
    const base = ['offline:snippet', 'nginx', `--page-dir=${site.pageDir}`]
    const piped = 'Kp3x_Vq9-Lm2Tz7Rw4Yb8Nc1Hd6Gf5Js0-stdin'
    const fromEnv = 'Kp3x_Vq9-Lm2Tz7Rw4Yb8Nc1Hd6Gf5Js0-env'

    const stdin = await app.ace([...base, '--secret=-'], {}, `${piped}\nignored\n`)
    assert.equal(stdin.code, 0, stdin.stderr)
    assert.include(stdin.stdout, `location = /${piped} {`)
    assert.include(stdin.stdout, `"${webServerBypassValue(piped)}"`)
    assert.notInclude(stdin.stderr, 'Bypass secret', 'not generated, not shown')

    const env = await app.ace([...base, '--secret='], { MAINTENANCE_SECRET: fromEnv })
    assert.equal(env.code, 0, env.stderr)
    assert.include(env.stdout, `location = /${fromEnv} {`)
    assert.notInclude(env.stderr, fromEnv, 'not printed')
    assert.notInclude(env.stderr, 'Bypass secret')

    /**
     * The same secret, given the same way, works for the app
     */
    const on = await app.ace(['offline:on', '--force', '--secret='], {
      MAINTENANCE_SECRET: fromEnv,
    })
    assert.equal(on.code, 0, on.stderr)
    assert.notInclude(on.stdout + on.stderr, fromEnv)

    const refused = await app.ace([...base, '--secret=-'], {}, 'too-short\n')
    assert.equal(refused.code, 1)
    assert.include(refused.stderr, 'the secret must be 32 to 128')
    assert.notInclude(refused.stderr, 'too-short')
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

  test('watches the lock file and serves the page config/maintenance.ts names, unless flags say', async ({
    assert,
    cleanup,
  }) => {
    const app = await createFixtureApp('file')
    const other = await createSite()
    cleanup(() => other.remove())
    const lockFile = app.env.MAINTENANCE_LOCK_FILE
    const page = app.env.MAINTENANCE_STATIC_PAGE
    const pageDir = dirname(dirname(page))
    /**
     * As the app writes it on going OFFLINE: the snippet checks it is there
     */
    await mkdir(dirname(page), { recursive: true })
    await writeFile(page, '<!doctype html><title>Down</title>')

    const nginx = await app.ace(['offline:snippet', 'nginx'])
    assert.equal(nginx.code, 0, nginx.stderr)
    assert.include(nginx.stdout, `if (-f ${lockFile})`)
    assert.include(nginx.stdout, `root ${pageDir};`)
    assert.notInclude(nginx.stdout, 'tmp/maintenance/down')

    const flagged = await app.ace([
      'offline:snippet',
      'apache',
      '--lock-file=/srv/other/down',
      `--page-dir=${other.pageDir}`,
    ])
    assert.equal(flagged.code, 0, flagged.stderr)
    assert.include(flagged.stdout, '/srv/other/down')
    assert.include(flagged.stdout, other.pageDir)
    assert.notInclude(flagged.stdout, lockFile)
    assert.notInclude(flagged.stdout, pageDir)

    /**
     * The config turns the lock file or the page off, or puts the page
     * where no web server would find it: fail, naming the flag
     */
    for (const [env, reason, flag] of [
      [{ MAINTENANCE_LOCK_FILE: 'false' }, 'sets lockFile: false', '--lock-file'],
      [{ MAINTENANCE_STATIC_PAGE: 'false' }, 'sets staticPage: false', '--page-dir'],
      [{ MAINTENANCE_STATIC_PAGE: join(pageDir, 'down.html') }, 'end it with', '--page-dir'],
    ] as const) {
      const refused = await app.ace(['offline:snippet', 'caddy'], env)
      assert.equal(refused.code, 1, JSON.stringify(env))
      assert.include(refused.stderr + refused.stdout, reason, JSON.stringify(env))
      assert.include(refused.stderr + refused.stdout, flag, JSON.stringify(env))
      assert.notInclude(refused.stdout, 'reverse_proxy', 'no snippet printed')
    }
    /**
     * The app's exact exempt paths reach the app through the web server too;
     * a prefix cannot, and stderr says so
     */
    const exempt = await app.ace(['offline:snippet', 'nginx'], {
      MAINTENANCE_ALLOWED_PATHS: '/health/live,/status,/webhooks/*',
    })
    assert.equal(exempt.code, 0, exempt.stderr)
    assert.include(exempt.stdout, 'location = /health/live {')
    assert.include(exempt.stdout, 'location = /status {')
    assert.notInclude(exempt.stdout, 'location = /health {')
    assert.notInclude(exempt.stdout, '/webhooks')
    assert.include(exempt.stderr, '/webhooks/* of allowedPaths get the 503 page')
    assert.include(nginx.stdout, 'location = /health {', 'without allowedPaths: /health')
    const flaggedPath = await app.ace(['offline:snippet', 'nginx', '--allowed-path=/ping'], {
      MAINTENANCE_ALLOWED_PATHS: '/status',
    })
    assert.include(flaggedPath.stdout, 'location = /ping {')
    assert.notInclude(flaggedPath.stdout, 'location = /status {')

    /**
     * An app that cannot boot here (its environment missing, as in a
     * Docker build): the package defaults, said on stderr, exit 0
     */
    const unbooted = await app.ace(['offline:snippet', 'nginx', `--page-dir=${other.pageDir}`], {
      MAINTENANCE_STORE: 'nowhere',
    })
    assert.equal(unbooted.code, 0, unbooted.stderr)
    assert.include(unbooted.stderr, 'config/maintenance.ts could not be read')
    assert.include(unbooted.stderr, 'pass --lock-file')
    assert.match(unbooted.stdout, /if \(-f \/\S+\/tmp\/maintenance\/down\)/)
    assert.notInclude(unbooted.stdout, lockFile)

    const given = await app.ace(['offline:snippet', 'caddy', '--lock-file=/srv/down'], {
      MAINTENANCE_LOCK_FILE: 'false',
    })
    assert.equal(given.code, 0, given.stderr)
    assert.include(given.stdout, 'reverse_proxy')
  }).timeout(90_000)
})
