/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { createFixtureApp } from '../fixture_app.ts'
import { Client, bootSite, waitForStatus } from './helpers.ts'

/**
 * Hostile paths, addresses and redirect targets against the booted
 * fixture app (hardening issue, items 8 to 10), and the durations and
 * dates that would wedge a window (issue 25, item 3)
 */
test.group('HTTP | hostile inputs', () => {
  test('an exempt prefix does not exempt a path carrying "#" or other non-path characters', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', {
      MAINTENANCE_ALLOWED_PATHS: '/health,/maintenance/*',
    })
    const forced = await app.ace(['offline:on', '--force'])
    assert.equal(forced.code, 0, forced.stderr)
    await waitForStatus(server, 503)
    const client = new Client(server)
    assert.equal(await client.status('/health'), 200, 'the exempt path')
    for (const path of ['/maintenance/#x', '/maintenance/a"b', '/maintenance/<x>', '/health#']) {
      assert.equal(await client.status(path), 503, path)
    }
  })

  test('offline:on refuses IPv4 addresses that are not four decimal parts: {$self}')
    .with(['010.0.0.1', '192.168.001.010', '10.1', '10.0.0.1/010'])
    .run(async ({ assert }, allow) => {
      const app = await createFixtureApp('file')
      const result = await app.ace(['offline:on', '--force', `--allow=${allow}`])
      assert.equal(result.code, 1)
      assert.include(result.stderr, `Invalid --allow value "${allow}"`)
      assert.isNull(await app.store.read(), 'nothing written')
    })

  test('offline:on refuses durations and moments past the limit, or not on the calendar, and writes nothing', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    const scheduled = await app.ace(['offline:on', '--at=in 2h', '--until=3h'])
    assert.equal(scheduled.code, 0, scheduled.stderr)
    const before = await app.store.read()
    assert.isNotNull(before)

    const nextYear = new Date().getUTCFullYear() + 1
    const cases: [string[], string][] = [
      [['--at=in 99999999999h'], 'Invalid --at "in 99999999999h": at most 1 year ahead'],
      [
        ['--at=in 2h', '--until=in 99999999999h'],
        'Invalid --until "in 99999999999h": at most 1 year',
      ],
      [['--at=in 2h', '--until=99999999999h'], 'Invalid --until "99999999999h": at most 1 year'],
      [
        ['--at=in 2h', '--announce=99999999999h'],
        'Invalid --announce "99999999999h": at most 1 year',
      ],
      [['--timeout=99999999999h'], 'Invalid --timeout "99999999999h": at most 1 year'],
      [['--force', '--retry=99999999999999'], 'Invalid --retry "99999999999999": at most 1 year'],
      [['--at=in 400d'], 'at most 1 year ahead'],
      [
        [`--at=${nextYear}-02-30T10:00Z`],
        `Invalid --at "${nextYear}-02-30T10:00Z": no such date or time (it would read as ${nextYear}-03-02T10:00:00.000Z)`,
      ],
      [[`--at=${nextYear}-06-01T24:00Z`], 'no such date or time'],
      [[`--at=${nextYear}-06-31T10:00+02:00`], 'no such date or time'],
      [['--at=in 2h', `--until=${nextYear}-13-01T10:00Z`], 'Invalid --until'],
    ]
    for (const [args, error] of cases) {
      const result = await app.ace(['offline:on', ...args])
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}${result.stderr}`)
      assert.include(result.stderr, error, args.join(' '))
      assert.lengthOf(result.stderr.trim().split('\n'), 1, args.join(' '))
      assert.deepEqual(await app.store.read(), before, `${args.join(' ')}: the state is unchanged`)
    }

    const run = await app.ace([
      'offline:run',
      '--timeout=99999999999h',
      '--',
      process.execPath,
      '-e',
      '',
    ])
    assert.equal(run.code, 1)
    assert.include(run.stderr, 'Invalid --timeout "99999999999h": at most 1 year')
    assert.deepEqual(await app.store.read(), before, 'offline:run: the state is unchanged')

    const status = await app.ace(['offline:status', '--watch', '--interval=99999999999h'])
    assert.equal(status.code, 1)
    assert.include(
      status.stdout + status.stderr,
      'Invalid --interval "99999999999h": at most 24 days'
    )
  }).timeout(120_000)

  test('offline:on refuses a redirect target with control characters or backslashes', async ({
    assert,
  }) => {
    const app = await createFixtureApp('file')
    for (const target of ['/\t/evil.com', '/\n/evil.com', '/\\evil.com', 'https://a.example/ x']) {
      const result = await app.ace(['offline:on', '--force', `--redirect=${target}`])
      assert.equal(result.code, 1, JSON.stringify(target))
      assert.include(result.stderr, 'Invalid --redirect')
    }
    assert.isNull(await app.store.read(), 'nothing written')
  })

  test('behind a proxy that rewrites Host, the redirect to the app URL never loops', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file', { APP_URL: 'https://www.example.com' })
    const forced = await app.ace(['offline:on', '--force', '--redirect=https://www.example.com/'])
    assert.equal(forced.code, 0, forced.stderr)
    await waitForStatus(server, 503, '/account')
    const client = new Client(server)
    const home = await client.get('/')
    assert.equal(home.status, 503, 'the app URL is this site: "/" is refused, not redirected to')
    const elsewhere = await client.get('/account', { host: 'WWW.EXAMPLE.COM' })
    assert.equal(elsewhere.status, 503, 'Host compared without case')

    const back = await app.ace(['offline:off'])
    assert.equal(back.code, 0, back.stderr)
    const status = await app.ace([
      'offline:on',
      '--force',
      '--redirect=https://status.example.org/',
    ])
    assert.equal(status.code, 0, status.stderr)
    /**
     * A redirect to another site still applies
     */
    await waitForStatus(server, 302)
    const redirected = await client.get('/')
    assert.equal(redirected.status, 302)
    assert.equal(redirected.headers.location, 'https://status.example.org/')
  })
})
