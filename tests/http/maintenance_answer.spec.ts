/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { Client, bootSite, login, waitForLockFile, waitForStatus } from './helpers.ts'

/**
 * Issue 9: the maintenance answer costs almost nothing and floods no log
 */
test.group('HTTP | the maintenance answer', () => {
  test('OFFLINE: 200 requests reach no handler, session store or template, and log nothing', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const { client: user } = await login(server)
    assert.equal(await user.status('/dashboard'), 200)

    const on = await app.ace(['offline:on', '--force', '--retry=300'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 503)

    const before = await server.counters()
    const linesBefore = server.output().split('\n').length
    const anonymous = new Client(server)
    const kinds = ['html', 'json', 'head'] as const
    const paths = ['/', '/dashboard', '/api/ping', '/no-such-page', '/login']

    for (let index = 0; index < 200; index++) {
      const kind = kinds[index % 3]
      const path = paths[index % paths.length]
      const client = index % 2 ? user : anonymous
      const response =
        kind === 'head'
          ? await client.request('HEAD', path)
          : kind === 'json'
            ? await client.get(path, { accept: 'application/json' })
            : await client.get(path, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' })

      const what = `${kind} ${path}`
      assert.equal(response.status, 503, what)
      assert.equal(response.headers['retry-after'], '300', what)
      assert.equal(response.headers['cache-control'], 'no-store', what)
      assert.notProperty(response.headers, 'set-cookie', what)
      if (kind === 'head') {
        assert.equal(response.body, '', what)
      } else if (kind === 'json') {
        assert.match(response.headers['content-type']!, /^application\/json/, what)
        assert.equal(JSON.parse(response.body).status, 'offline', what)
      } else {
        assert.match(response.headers['content-type']!, /^text\/html/, what)
        assert.include(response.body, '<!DOCTYPE html>', what)
      }
    }

    assert.deepEqual(await server.counters(), before, 'no handler, session read or render')
    const logged = server
      .output()
      .split('\n')
      .slice(linesBefore - 1)
      .filter(Boolean)
    assert.isAtMost(logged.length, 2, `log lines while answering:\n${logged.join('\n')}`)
    const errors = server
      .output()
      .split('\n')
      .filter((line) => /"level":(50|60)/.test(line))
    assert.deepEqual(errors, [], 'nothing logged at error level')
  }).timeout(60_000)

  test('a redirect configured with --redirect answers GET with 302 and other methods with 307', async ({
    assert,
  }) => {
    const { app, server } = await bootSite('file')
    const on = await app.ace(['offline:on', '--force', '--redirect=https://status.example.com/'])
    assert.equal(on.code, 0, on.stderr)
    await waitForLockFile(app, true)
    await waitForStatus(server, 302)

    const client = new Client(server)
    const get = await client.get('/dashboard')
    assert.equal(get.status, 302)
    assert.equal(get.headers.location, 'https://status.example.com/')
    assert.equal(get.headers['cache-control'], 'no-store')
    const post = await client.request('POST', '/login', { form: { email: 'x' } })
    assert.equal(post.status, 307)
  }).timeout(60_000)
})
