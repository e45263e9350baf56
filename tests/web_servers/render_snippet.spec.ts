/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from '@japa/runner'
import {
  WEB_SERVERS,
  renderHaproxyLua,
  renderSnippet,
  webServerBypassValue,
  type WebServerOptions,
} from '../../src/web_servers/main.ts'
import { BYPASS, createSite, writeAndCheck, type Site } from './helpers.ts'

async function setup(cleanup: (fn: () => Promise<void>) => void) {
  const site = await createSite()
  cleanup(() => site.remove())
  const options: WebServerOptions = {
    lockFile: site.lockFile,
    pageDir: site.pageDir,
    upstream: '127.0.0.1:3333',
    luaFile: join(site.serverDir, 'site_maintenance.lua'),
  }
  return { site, options }
}

test.group('renderSnippet | options', () => {
  test('applies the defaults', async ({ assert, cleanup }) => {
    const { options } = await setup(cleanup)
    const nginx = renderSnippet('nginx', options)
    assert.include(nginx, 'add_header Retry-After 60 always;')
    assert.include(nginx, 'location = /health {')
    assert.include(nginx, 'location ^~ /maintenance/ {')
    assert.notInclude(nginx, 'listen')
    assert.notInclude(nginx, 'set_real_ip_from')
    assert.notInclude(nginx, '$cookie_')
    assert.include(nginx, 'return 503;')

    const haproxy = renderSnippet('haproxy', options)
    assert.include(haproxy, `lua-load ${options.luaFile}`)
    assert.include(haproxy, 'acl site_maintenance_exempt path /health')
    assert.include(haproxy, 'if { path /maintenance/style.css }')
  })

  test('renders the options given', async ({ assert, cleanup }) => {
    const { options } = await setup(cleanup)
    const nginx = renderSnippet('nginx', {
      ...options,
      listen: 8080,
      retryAfter: 120,
      allowedPaths: ['/up', '/robots.txt'],
      allow: ['10.1.2.3/8', '2001:db8::1'],
      trustedProxies: ['192.0.2.10'],
      bypass: BYPASS,
    })
    assert.include(nginx, 'listen 8080;')
    assert.include(nginx, 'Retry-After 120 always')
    assert.include(nginx, 'location = /up {')
    assert.include(nginx, 'location = /robots.txt {')
    assert.notInclude(nginx, 'location = /health')
    assert.include(nginx, 'allow 10.0.0.0/8;', 'host bits are cleared')
    assert.include(nginx, 'allow 2001:db8::1;')
    assert.include(nginx, 'set_real_ip_from 192.0.2.10;')
    assert.include(
      nginx,
      `if ($cookie_${BYPASS.cookie} = "${webServerBypassValue(BYPASS.secret)}")`
    )
    assert.include(nginx, `location = /${BYPASS.secret} {`)

    const apache = renderSnippet('apache', { ...options, allowedPaths: ['/robots.txt'] })
    assert.include(apache, 'RewriteCond %{REQUEST_URI} !=/robots.txt')
    assert.include(apache, 'a2enmod rewrite headers proxy proxy_http remoteip alias')
  })

  test('rejects {option}: {value}')
    .with([
      { option: 'lockFile', value: 'tmp/maintenance/down' },
      { option: 'lockFile', value: '/srv/my app/down' },
      { option: 'lockFile', value: '/srv/app/../down' },
      { option: 'lockFile', value: '/srv/app/down;' },
      { option: 'pageDir', value: '/nonexistent/public' },
      { option: 'upstream', value: '127.0.0.1' },
      { option: 'upstream', value: '127.0.0.1:99999' },
      { option: 'upstream', value: 'http://127.0.0.1:3333' },
      { option: 'upstream', value: '[::1:3333' },
      { option: 'listen', value: 'eighty' },
      { option: 'listen', value: 70000 },
      { option: 'retryAfter', value: -1 },
      { option: 'retryAfter', value: 1.5 },
      { option: 'allowedPaths', value: ['health'] },
      { option: 'allowedPaths', value: ['/health/'] },
      { option: 'allowedPaths', value: ['/a/../b'] },
      { option: 'allowedPaths', value: ['/a%2fb'] },
      { option: 'allowedPaths', value: ['/health?x=1'] },
      { option: 'allowedPaths', value: ['/maintenance/x'] },
      { option: 'assetsPrefix', value: 'maintenance' },
      { option: 'allow', value: ['10.0.0.300'] },
      { option: 'allow', value: ['127.1'] },
      { option: 'allow', value: ['10.0.0.0/33'] },
      { option: 'allow', value: ['fe80::1%eth0'] },
      { option: 'allow', value: '127.0.0.1' },
      { option: 'trustedProxies', value: ['lb.internal'] },
      { option: 'bypass', value: { secret: 'x' } },
      { option: 'bypass', value: { secret: '' } },
      { option: 'bypass', value: { secret: 'Let-me_in-42' } },
      { option: 'bypass', value: { secret: 'a'.repeat(40) } },
      { option: 'bypass', value: { secret: 'abcd'.repeat(10) } },
      { option: 'bypass', value: { secret: `${BYPASS.secret};x` } },
      { option: 'bypass', value: { secret: 'x'.repeat(100) + BYPASS.secret } },
      { option: 'bypass', value: { ...BYPASS, cookie: 'site_maintenance_bypass' } },
      { option: 'bypass', value: { ...BYPASS, cookie: 'by-pass' } },
      { option: 'luaFile', value: 'maint.lua' },
    ])
    .run(async ({ assert, cleanup }, { option, value }) => {
      const { options } = await setup(cleanup)
      for (const server of WEB_SERVERS) {
        assert.throws(
          () => renderSnippet(server, { ...options, [option]: value }),
          new RegExp(`Invalid "${option}" option`)
        )
      }
    })

  test('rejects an unknown server', async ({ assert, cleanup }) => {
    const { options } = await setup(cleanup)
    assert.throws(
      () => renderSnippet('lighttpd' as any, options),
      'Unknown web server "lighttpd". Use one of: nginx, apache, haproxy, caddy'
    )
  })

  test('caddy rejects ranges it cannot match as text: {option} {value}')
    .with([
      { option: 'trustedProxies', value: '10.0.0.0/12' },
      { option: 'allow', value: '203.0.113.0/25' },
      { option: 'allow', value: '2001:db8::/36' },
      { option: 'allow', value: '2001:0:1::/48' },
    ])
    .run(async ({ assert, cleanup }, { option, value }) => {
      const { options } = await setup(cleanup)
      const withRange = {
        ...options,
        allow: ['203.0.113.0/24'],
        trustedProxies: ['10.0.0.0/8'],
        [option]: [value],
      }
      assert.throws(
        () => renderSnippet('caddy', withRange),
        new RegExp(`Invalid "${option}" option for caddy`)
      )
      assert.doesNotThrow(() => renderSnippet('nginx', withRange))
    })

  test('haproxy rejects assets too large for its buffers', async ({ assert, cleanup }) => {
    const { site, options } = await setup(cleanup)
    await writeFile(join(site.pageDir, 'maintenance/hero.png'), Buffer.alloc(20_000))
    assert.throws(() => renderSnippet('haproxy', options), /hero\.png" is larger than/)
    assert.doesNotThrow(() => renderSnippet('nginx', options))
  })

  test('haproxy serves the page through Lua, so its size is not limited', async ({
    assert,
    cleanup,
  }) => {
    const { site, options } = await setup(cleanup)
    await writeFile(join(site.pageDir, 'maintenance/index.html'), 'x'.repeat(40_000))
    const haproxy = renderSnippet('haproxy', options)
    assert.include(
      haproxy,
      'use-service lua.site_maintenance_page if { path /maintenance/index.html }'
    )
    assert.notInclude(haproxy, 'file ' + join(site.pageDir, 'maintenance/index.html'))
  })

  test('the HAProxy Lua fetch tests the lock per call', ({ assert }) => {
    const lua = renderHaproxyLua()
    assert.include(lua, 'core.register_fetches("site_maintenance_lock"')
    assert.include(lua, 'io.open(path, "r")')
    assert.include(lua, 'return false', 'only ENOENT means unlocked')
    assert.include(lua, 'core.register_service("site_maintenance_page", "http"')
  })
})

/**
 * Each variant must pass the server's own config check
 */
test.group('renderSnippet | accepted by the servers', () => {
  const variants: Array<{ name: string; options: (site: Site) => Partial<WebServerOptions> }> = [
    { name: 'minimal', options: () => ({}) },
    {
      name: 'everything',
      options: () => ({
        retryAfter: 3600,
        allowedPaths: ['/health', '/up', '/robots.txt'],
        allow: ['127.0.0.1', '10.0.0.0/8', '::1', '2001:db8::/32'],
        trustedProxies: ['192.168.0.0/16', 'fd00:1:2::/48'],
        bypass: BYPASS,
      }),
    },
    {
      name: 'IPv6 upstream, no allowed paths, listen on a port',
      options: () => ({ upstream: '[::1]:3333', allowedPaths: [], allow: ['::1'], listen: 65001 }),
    },
    {
      name: 'listen on an IPv6 address',
      options: () => ({ listen: '[::1]:65002' }),
    },
  ]

  for (const server of WEB_SERVERS) {
    test(`${server}: {name}`)
      .with(variants)
      .run(async ({ cleanup }, variant) => {
        const { site, options } = await setup(cleanup)
        await writeAndCheck(
          server,
          site,
          [{ port: 65000, options: { ...options, ...variant.options(site) } }],
          3333
        )
      })
  }
})
