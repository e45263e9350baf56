/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { test } from '@japa/runner'
import { MaintenanceManager, defineConfig, stores } from '../index.ts'
import { MaintenancePlugins, plugins, type PluginEntry } from '../src/plugins/main.ts'
import MaintenanceMiddleware from '../src/request_path/maintenance_middleware.ts'
import { bootApp, bootEdgeApp, makeTempDir } from './helpers.ts'

function setupApp(config: unknown) {
  return bootApp({
    providers: [() => import('../providers/maintenance_provider.ts')],
    config: { maintenance: config },
  })
}

test.group('Maintenance provider', () => {
  test('binds the manager as a singleton', async ({ assert, cleanup }) => {
    const directory = await makeTempDir()
    const app = await setupApp(
      defineConfig({ default: 'file', stores: { file: stores.file({ directory }) } })
    )
    cleanup(() => app.terminate())
    const manager = await app.container.make('maintenance.manager')
    assert.instanceOf(manager, MaintenanceManager)
    assert.strictEqual(await app.container.make('maintenance.manager'), manager)
    assert.equal(manager.store.name, 'file')

    /**
     * The middleware is a singleton: no container lookup per request
     */
    const middleware = await app.container.make(MaintenanceMiddleware)
    assert.strictEqual(await app.container.make(MaintenanceMiddleware), middleware)
    const gate = await app.container.make('maintenance.gate')
    assert.strictEqual((middleware as any).gate, gate, 'the middleware holds the gate')
    assert.strictEqual(gate.manager, manager)
  })

  test('emits the events through the app emitter', async ({ assert, cleanup }) => {
    const directory = await makeTempDir()
    const app = await setupApp(
      defineConfig({
        default: 'file',
        stores: { file: stores.file({ directory }) },
        lockFile: false,
      })
    )
    cleanup(() => app.terminate())
    const emitter = await app.container.make('emitter')
    const seen: string[] = []
    emitter.on('maintenance:offline', ({ previous }) => seen.push(`offline from ${previous}`))
    emitter.on('maintenance:online', ({ previous }) => seen.push(`online from ${previous}`))
    const manager = await app.container.make('maintenance.manager')
    await manager.refresh()
    await manager.activate({ force: true })
    await manager.deactivate()
    assert.deepEqual(seen, ['offline from online', 'online from offline'])
  })

  test('refuses a config not made with defineConfig', async ({ assert, cleanup }) => {
    const app = await setupApp({ default: 'file' })
    cleanup(() => app.terminate())
    await assert.rejects(
      () => app.container.make('maintenance.manager'),
      'Invalid "config/maintenance.ts" file. Make sure you are using the "defineConfig" method'
    )
  })

  test('detects the integrations the app uses, and only those', async ({ assert, cleanup }) => {
    const directory = await makeTempDir()
    const app = await setupApp(
      defineConfig({ default: 'file', stores: { file: stores.file({ directory }) } })
    )
    cleanup(() => app.terminate())
    const detected = (target: typeof app) =>
      plugins.filter((entry) => entry.detect(target)).map((entry) => entry.name)
    assert.deepEqual(detected(app), ['ace', 'status route', 'auth'])

    const edge = await bootEdgeApp({ root: directory, stateDirectory: directory })
    cleanup(() => edge.app.terminate())
    assert.deepEqual(detected(edge.app), ['edge', 'ace', 'status route', 'auth'])
  })
})

test.group('Maintenance plugins', () => {
  /**
   * Entries recording their loads and hooks, for a container-less app
   */
  function recorded(detected: Record<string, boolean>) {
    const calls: string[] = []
    const entries: PluginEntry[] = Object.entries(detected).map(([name, present]) => ({
      name,
      detect: () => present,
      load: async () => {
        calls.push(`load ${name}`)
        return {
          default: () => ({
            boot: () => void calls.push(`boot ${name}`),
            openPaths: () => [`/${name}`],
            shutdown: async () => void calls.push(`shutdown ${name}`),
          }),
        }
      },
    }))
    const app = { container: { make: async () => ({}) } } as any
    return { calls, set: new MaintenancePlugins(app, entries) }
  }

  test('imports a detected plugin once, an undetected one never', async ({ assert }) => {
    const { calls, set } = recorded({ first: true, absent: false, last: true })
    await set.run('boot')
    await set.run('start')
    assert.deepEqual(await set.openPaths({} as any), ['/first', '/last'])
    await set.shutdown()
    assert.deepEqual(calls, [
      'load first',
      'load last',
      'boot first',
      'boot last',
      'shutdown first',
      'shutdown last',
    ])
  })

  test('a shutdown before any hook loads nothing', async ({ assert }) => {
    const { calls, set } = recorded({ first: true })
    await set.shutdown()
    assert.deepEqual(calls, [])
  })
})
