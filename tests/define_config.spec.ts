/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { AppFactory } from '@adonisjs/core/factories/app'
import { defineConfig, stores } from '../index.ts'
import { MAX_AHEAD, defaults } from '../src/defaults.ts'
import { FileStore } from '../src/stores/file.ts'
import type { ResolvedMaintenanceConfig } from '../src/types.ts'
import { BASE_URL, createApp } from './helpers.ts'

test.group('defineConfig', () => {
  test('names the key at fault', ({ assert }) => {
    assert.throws(
      () => defineConfig({} as any),
      'Missing "stores" property in "config/maintenance.ts" file'
    )
    assert.throws(
      () => defineConfig({ stores: { file: stores.file() } } as any),
      'Missing "default" property in "config/maintenance.ts" file'
    )
    assert.throws(
      () => defineConfig({ default: 'redis', stores: { file: stores.file() } } as any),
      '"config/maintenance.ts" default store "redis" is not defined in "stores"'
    )
    assert.throws(
      () =>
        defineConfig({
          default: 'file',
          stores: { file: stores.file() },
          drainTimeout: '15 parsecs',
        }),
      'Invalid duration "15 parsecs" for drainTimeout. Use a number of seconds or a value such as "30s", "15m", "2h"'
    )
    assert.throws(
      () =>
        defineConfig({ default: 'file', stores: { file: stores.file() }, allow: ['10.0.0.300'] }),
      /"config\/maintenance.ts" allow: Invalid --allow value "10.0.0.300"/
    )
  })

  test('refuses a duration past its limit, naming the key and the limit', ({ assert }) => {
    const base = { default: 'file' as const, stores: { file: stores.file() } }
    for (const [config, message] of [
      [
        { drainTimeout: '99999999999h' },
        '"config/maintenance.ts" Invalid drainTimeout "99999999999h": at most 1 year',
      ],
      [
        { sessionIdleAge: '2y' },
        '"config/maintenance.ts" Invalid sessionIdleAge "2y": at most 1 year',
      ],
      [
        { presenceInterval: '99999999999h' },
        '"config/maintenance.ts" Invalid presenceInterval "99999999999h": at most 1 year',
      ],
      [
        { refreshInterval: '30d' },
        '"config/maintenance.ts" Invalid refreshInterval "30d": at most 24 days',
      ],
      [
        { taskTimeout: '30d' },
        '"config/maintenance.ts" Invalid taskTimeout "30d": at most 24 days',
      ],
      [
        { banner: { interval: '30d' } },
        '"config/maintenance.ts" Invalid banner.interval "30d": at most 24 days',
      ],
      [
        { retryAfter: 99_999_999_999 },
        '"config/maintenance.ts" retryAfter must be a whole number of seconds, at most 1 year, not 99999999999',
      ],
      [{ retryAfter: -1 }, /retryAfter must be a whole number of seconds/],
    ] as const) {
      assert.throws(() => defineConfig({ ...base, ...config } as any), message as any)
    }
    assert.doesNotThrow(() => defineConfig({ ...base, drainTimeout: '1y', taskTimeout: '24d' }))
  })

  test('a session age past the limit drains for the limit at most', async ({ assert }) => {
    const { defineConfig: defineSessionConfig, stores: sessionStores } =
      await import('@adonisjs/session')
    const app = await createApp({
      session: defineSessionConfig({
        age: '5y',
        store: 'cookie',
        stores: { cookie: sessionStores.cookie() },
      }),
    })
    const provider = defineConfig({ default: 'file', stores: { file: stores.file() } })
    const config = (await provider.resolver(app as any)) as ResolvedMaintenanceConfig
    assert.equal(config.sessionIdleAge, MAX_AHEAD.ms)
  })

  test('resolves lazily to store factories and defaults', async ({ assert }) => {
    const app = await createApp({})
    const provider = defineConfig({
      default: 'file',
      stores: { file: stores.file({ directory: '/tmp/site-maintenance-config' }) },
      drainTimeout: '10m',
      allow: ['2001:DB8::/32'],
    })
    const config = (await provider.resolver(app as any)) as ResolvedMaintenanceConfig
    const store = config.stores.file()
    assert.instanceOf(store, FileStore)
    assert.equal((store as FileStore).directory, '/tmp/site-maintenance-config')
    assert.equal(config.drainTimeout, 600_000)
    assert.equal(config.sessionIdleAge, 900_000, 'no session config: 15 minutes')
    assert.equal(config.refreshInterval, 1000)
    assert.equal(config.lockFile, app.makePath('tmp/maintenance/down'))
    assert.equal(config.staticPage, app.makePath('public/maintenance/index.html'))
    assert.deepEqual(config.allow, ['2001:db8::/32'])
  })

  test('every option left out takes the value of src/defaults.ts', async ({ assert }) => {
    const app = await createApp({})
    const provider = defineConfig({ default: 'file', stores: { file: stores.file() } })
    const config = (await provider.resolver(app as any)) as ResolvedMaintenanceConfig
    assert.equal(
      (config.stores.file() as FileStore).directory,
      app.makePath(defaults.fileStoreDirectory)
    )
    assert.equal(config.lockFile, app.makePath(defaults.lockFile))
    assert.equal(config.staticPage, app.makePath(defaults.staticPage))
    assert.equal(config.sessionIdleAge, 15 * 60 * 1000)
    assert.equal(config.refreshInterval, 1000)
    assert.equal(config.presenceInterval, 60_000)
    assert.equal(config.taskTimeout, 120_000)
    assert.include(config, {
      retryAfter: defaults.retryAfter,
      message: defaults.message,
      bypassCookie: defaults.bypassCookie,
      earlyAnswer: defaults.earlyAnswer,
      view: defaults.view,
      authSessionKey: defaults.authSessionKey,
      onStoreError: defaults.onStoreError,
    })
  })

  test('a database store without a registered connection names the file to fix', async ({
    assert,
  }) => {
    const app = new AppFactory().create(BASE_URL, () => {})
    await app.init()
    app.container.singleton('lucid.db' as any, () => ({
      primaryConnectionName: 'pg',
      manager: { has: () => false },
    }))
    const provider = defineConfig({
      default: 'database',
      stores: { database: stores.database({ connection: 'missing' }) },
    })
    await assert.rejects(
      () => provider.resolver(app as any),
      'Invalid connection name "missing" referenced by "config/maintenance.ts" file. First register the connection inside "config/database.ts" file'
    )
  })
})

test.group('defineConfig | session age', () => {
  test('the session idle age comes from config/session.ts', async ({ assert }) => {
    const { defineConfig: defineSessionConfig, stores: sessionStores } =
      await import('@adonisjs/session')
    const app = await createApp({
      session: defineSessionConfig({
        age: '45m',
        store: 'cookie',
        stores: { cookie: sessionStores.cookie() },
      }),
    })
    const provider = defineConfig({ default: 'file', stores: { file: stores.file() } })
    const config = (await provider.resolver(app as any)) as ResolvedMaintenanceConfig
    assert.equal(config.sessionIdleAge, 45 * 60 * 1000)
    assert.equal(config.drainTimeout, null, 'offline:on then waits the idle age')
  })
})
