/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from '@japa/runner'
import type { FileSystem } from '@japa/file-system'
import ts from 'typescript'
import { Edge } from 'edge.js'
import { configProvider } from '@adonisjs/core'
import { AceFactory } from '@adonisjs/core/factories'
import { AppFactory } from '@adonisjs/core/factories/app'
import Configure from '@adonisjs/core/commands/configure'
import { createDatabase, outputOf } from './helpers.ts'
import { initialState } from '../src/state.ts'
import type { ApplicationService } from '@adonisjs/core/types'
import type { MaintenanceStoreFactory } from '../src/types.ts'

/**
 * This repository's index.ts, seen from a temporary app root (tmp/<id>/)
 */
const PACKAGE_ENTRY = '../../index.ts'
const REPO_ROOT = new URL('../', import.meta.url)

const KERNEL = `import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.use([
  () => import('#middleware/container_bindings_middleware'),
  () => import('@adonisjs/static/static_middleware'),
])

router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('@adonisjs/session/session_middleware'),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
])

export const middleware = router.named({})
`

const ENV = `import { Env } from '@adonisjs/core/env'

export default await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
})
`

/**
 * A minimal AdonisJS app: what the codemods read and modify
 */
async function createApp(fs: FileSystem) {
  await fs.create('.env', 'NODE_ENV=development\n')
  await fs.create('.env.example', 'NODE_ENV=development\n')
  await fs.createJson('tsconfig.json', {})
  await fs.create(
    'adonisrc.ts',
    `import { defineConfig } from '@adonisjs/core/app'\n\nexport default defineConfig({})\n`
  )
  await fs.create('start/env.ts', ENV)
  await fs.create('start/kernel.ts', KERNEL)
}

/**
 * Run `node ace configure <this package> ...args` in the temporary app
 */
async function runConfigure(fs: FileSystem, args: string[], prompts?: (ace: any) => void) {
  const ace = await new AceFactory().make(fs.baseUrl, {
    importer: (filePath) => import(new URL(filePath, fs.baseUrl).href),
  })
  await ace.app.init()
  ace.ui.switchMode('raw')
  prompts?.(ace)

  const command = await ace.create(Configure, [PACKAGE_ENTRY, ...args])
  await command.exec()
  return command
}

/**
 * The Ace entry point of the starter kits, for the temporary app
 */
const CONSOLE = `const { Ignitor, prettyPrintError } = await import('@adonisjs/core')

const APP_ROOT = new URL('../', import.meta.url)
const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('../start/env.ts')
    })
  })
  .ace()
  .handle(process.argv.splice(2))
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
`

/**
 * The minimal app, plus what `node ace` needs to run in it: core's
 * commands and the Ace entry point
 */
async function createConsoleApp(fs: FileSystem) {
  await createApp(fs)
  await fs.create(
    'adonisrc.ts',
    `import { defineConfig } from '@adonisjs/core/app'\n\nexport default defineConfig({\n  commands: [() => import('@adonisjs/core/commands')],\n})\n`
  )
  await fs.create('bin/console.ts', CONSOLE)
}

/**
 * Run `node ace configure <this package> ...args` in the temporary app as
 * a real process without a terminal: stdin is /dev/null, as in a
 * Dockerfile, CI or a script
 */
async function spawnConfigure(fs: FileSystem, args: string[]) {
  const child = spawn(
    process.execPath,
    [
      '--import=@poppinss/ts-exec',
      join(fs.basePath, 'bin/console.ts'),
      'configure',
      PACKAGE_ENTRY,
      ...args,
    ],
    {
      cwd: fileURLToPath(REPO_ROOT),
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  return outputOf(child)
}

/**
 * Load the app's start/env.ts in a process of its own, with nothing but
 * its .env: the validation it runs when the app boots
 */
async function validateEnv(fs: FileSystem) {
  const child = spawn(
    process.execPath,
    [
      '--import=@poppinss/ts-exec',
      '--input-type=module',
      '--eval',
      `await import(${JSON.stringify(new URL('start/env.ts', fs.baseUrl).href)})`,
    ],
    {
      cwd: fileURLToPath(REPO_ROOT),
      env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    }
  )
  return outputOf(child)
}

/**
 * The store names config/maintenance.ts declares, and the ones the
 * MAINTENANCE_STORE enum of start/env.ts accepts
 */
async function declaredStores(fs: FileSystem) {
  const config = await fs.contents('config/maintenance.ts')
  return [...config.matchAll(/^\s*(\w+): stores\.\w+\(/gm)].map((match) => match[1])
}
async function envEnum(fs: FileSystem) {
  const env = await fs.contents('start/env.ts')
  const list = env.match(/MAINTENANCE_STORE: Env\.schema\.enum\(\[([^\]]*)\] as const\)/)
  return list ? [...list[1].matchAll(/'(\w+)'/g)].map((match) => match[1]) : []
}

async function migrationFiles(fs: FileSystem) {
  if (!(await fs.exists('database/migrations'))) return []
  const files = await readdir(join(fs.basePath, 'database/migrations'))
  return files.filter((file) => file.endsWith('_create_maintenance_tables.ts'))
}

test.group('Configure', (group) => {
  group.each.setup(({ context }) => {
    /**
     * One app root per test, two levels below the repository, so
     * PACKAGE_ENTRY resolves to this repository's index.ts and modules
     * imported by one test are not cached for the next
     */
    context.fs.baseUrl = new URL(`tmp/configure-${randomUUID()}/`, REPO_ROOT)
    context.fs.basePath = fileURLToPath(context.fs.baseUrl)
  })

  test('configure the database store', async ({ assert, fs }) => {
    await createApp(fs)
    const command = await runConfigure(fs, ['--store=database'])
    command.assertSucceeded()

    await assert.fileExists('config/maintenance.ts')
    await assert.fileContains('config/maintenance.ts', [
      `import env from '#start/env'`,
      `import { defineConfig, stores } from 'site-maintenance'`,
      `default: env.get('MAINTENANCE_STORE')`,
      `file: stores.file(`,
      `database: stores.database(`,
      `export default maintenanceConfig`,
    ])
    await assert.fileNotContains('config/maintenance.ts', ['stores.redis(', '{{', '}}'])
    for (const option of [
      'lockFile',
      'refreshInterval',
      'drainTimeout',
      'sessionIdleAge',
      'presenceInterval',
      'taskTimeout',
      'retryAfter',
      'message',
    ]) {
      await assert.fileContains('config/maintenance.ts', `${option}:`)
    }
    await assert.fileContains('config/maintenance.ts', 'banner: { live: true }')

    await assert.fileContains('.env', 'MAINTENANCE_STORE=database')
    await assert.fileContains('.env.example', 'MAINTENANCE_STORE=database')
    await assert.fileContains('start/env.ts', [
      'Variables for configuring the site-maintenance package',
      `MAINTENANCE_STORE: Env.schema.enum(['database', 'file'] as const)`,
    ])

    await assert.fileContains('adonisrc.ts', [
      `() => import('site-maintenance/maintenance_provider')`,
      `() => import('site-maintenance/commands')`,
    ])

    const migrations = await migrationFiles(fs)
    assert.lengthOf(migrations, 1)
    assert.match(migrations[0], /^\d+_create_maintenance_tables\.ts$/)
    const migration = `database/migrations/${migrations[0]}`
    await assert.fileContains(migration, [
      `import { BaseSchema } from '@adonisjs/lucid/schema'`,
      `createTable('maintenance_state'`,
      `createTable('maintenance_sessions'`,
      `createTable('maintenance_tasks'`,
      `table.index(['status', 'expires_at'])`,
      `dropTable('maintenance_state')`,
    ])

    await assert.fileExists('resources/views/site_maintenance/page.edge')
  })

  test('register the middleware first in the server stack, the bypass middleware last in the router stack', async ({
    assert,
    fs,
  }) => {
    await createApp(fs)
    const command = await runConfigure(fs, ['--store=file'])
    command.assertSucceeded()

    const kernel = await fs.contents('start/kernel.ts')
    const server = kernel.slice(kernel.indexOf('server.use(['), kernel.indexOf('router.use(['))
    const router = kernel.slice(kernel.indexOf('router.use(['), kernel.indexOf('router.named('))

    const serverEntries = [...server.matchAll(/import\('([^']+)'\)/g)].map((match) => match[1])
    assert.deepEqual(serverEntries, [
      'site-maintenance/maintenance_middleware',
      '#middleware/container_bindings_middleware',
      '@adonisjs/static/static_middleware',
    ])
    const routerEntries = [...router.matchAll(/import\('([^']+)'\)/g)].map((match) => match[1])
    assert.deepEqual(routerEntries, [
      '@adonisjs/core/bodyparser_middleware',
      '@adonisjs/session/session_middleware',
      '@adonisjs/auth/initialize_auth_middleware',
    ])
  })

  test('configure the file store: no migration, only the file store listed', async ({
    assert,
    fs,
  }) => {
    await createApp(fs)
    const command = await runConfigure(fs, ['--store=file'])
    command.assertSucceeded()

    await assert.fileContains('config/maintenance.ts', 'file: stores.file(')
    await assert.fileNotContains('config/maintenance.ts', ['stores.database(', 'stores.redis('])
    await assert.fileContains('.env', 'MAINTENANCE_STORE=file')
    await assert.fileContains(
      'start/env.ts',
      `MAINTENANCE_STORE: Env.schema.enum(['file'] as const)`
    )
    assert.deepEqual(await migrationFiles(fs), [])
    await assert.fileExists('resources/views/site_maintenance/page.edge')
  })

  test("write the web-server snippets filled with this app's paths", async ({ assert, fs }) => {
    await createApp(fs)
    const command = await runConfigure(fs, ['--store=file'])
    command.assertSucceeded()
    const lockFile = join(fileURLToPath(fs.baseUrl), 'tmp/maintenance/down')
    await assert.fileContains('deploy/maintenance/nginx.conf', [lockFile, 'return 503'])
    await assert.fileContains('deploy/maintenance/apache.conf', [lockFile, 'R=503'])
    await assert.fileContains('deploy/maintenance/haproxy.cfg', [lockFile, 'use-service lua.'])
    await assert.fileContains('deploy/maintenance/Caddyfile', 'status 503')
    await assert.fileContains('deploy/maintenance/site_maintenance.lua', 'io.open')
    await assert.fileContains('public/maintenance/index.html', 'scheduled maintenance')

    await fs.create('deploy/maintenance/nginx.conf', '# tuned by ops\n')
    await runConfigure(fs, ['--store=file'])
    assert.equal(await fs.contents('deploy/maintenance/nginx.conf'), '# tuned by ops\n')
    await runConfigure(fs, ['--store=file', '--force'])
    await assert.fileContains('deploy/maintenance/nginx.conf', lockFile)
  })

  test('configure the redis store: no migration', async ({ assert, fs }) => {
    await createApp(fs)
    const command = await runConfigure(fs, ['--store=redis'])
    command.assertSucceeded()

    await assert.fileContains('config/maintenance.ts', [
      'file: stores.file(',
      'redis: stores.redis(',
    ])
    await assert.fileNotContains('config/maintenance.ts', 'stores.database(')
    await assert.fileContains('.env', 'MAINTENANCE_STORE=redis')
    await assert.fileContains(
      'start/env.ts',
      `MAINTENANCE_STORE: Env.schema.enum(['redis', 'file'] as const)`
    )
    assert.deepEqual(await migrationFiles(fs), [])
  })

  test('ask for the store when no flag is given', async ({ assert, fs }) => {
    await createApp(fs)
    const command = await runConfigure(fs, [], (ace) => {
      ace.prompt.trap('Select the store that keeps the maintenance state').replyWith('redis')
    })
    command.assertSucceeded()

    await assert.fileContains('config/maintenance.ts', 'redis: stores.redis(')
    await assert.fileContains('.env', 'MAINTENANCE_STORE=redis')
  })

  test('the prompt defaults to the file store', async ({ assert, fs }) => {
    await createApp(fs)
    const command = await runConfigure(fs, [], (ace) => {
      ace.prompt.trap('Select the store that keeps the maintenance state')
    })
    command.assertSucceeded()

    await assert.fileNotContains('config/maintenance.ts', ['stores.database(', 'stores.redis('])
    await assert.fileContains('.env', 'MAINTENANCE_STORE=file')
  })

  test('without a terminal, take the file store and say so', async ({ assert, fs }) => {
    await createConsoleApp(fs)
    const { code, output } = await spawnConfigure(fs, [])

    assert.equal(code, 0, output)
    assert.include(
      output,
      'No terminal: using the default store "file" (pass --store=file|database|redis to choose)'
    )
    await assert.fileContains('config/maintenance.ts', 'file: stores.file(')
    await assert.fileNotContains('config/maintenance.ts', ['stores.database(', 'stores.redis('])
    await assert.fileContains('.env', 'MAINTENANCE_STORE=file')
    await assert.fileContains(
      'start/env.ts',
      `MAINTENANCE_STORE: Env.schema.enum(['file'] as const)`
    )
    await assert.fileContains('adonisrc.ts', 'site-maintenance/maintenance_provider')
    await assert.fileContains('start/kernel.ts', 'site-maintenance/maintenance_middleware')
    await assert.fileExists('resources/views/site_maintenance/page.edge')
    await assert.fileExists('deploy/maintenance/nginx.conf')
  }).timeout(60_000)

  test('without a terminal, a --store flag needs no prompt; an unknown one fails', async ({
    assert,
    fs,
  }) => {
    await createConsoleApp(fs)
    const mongo = await spawnConfigure(fs, ['--store=mongo'])
    assert.equal(mongo.code, 1, mongo.output)
    assert.include(
      mongo.output,
      'Invalid maintenance store "mongo". Supported stores are: file, database, and redis'
    )
    await assert.fileNotExists('config/maintenance.ts')
    await assert.fileNotContains('.env', 'MAINTENANCE_STORE')

    const redis = await spawnConfigure(fs, ['--store=redis'])
    assert.equal(redis.code, 0, redis.output)
    assert.notInclude(redis.output, 'No terminal')
    await assert.fileContains('config/maintenance.ts', 'redis: stores.redis(')
    await assert.fileContains('.env', 'MAINTENANCE_STORE=redis')
  }).timeout(60_000)

  test('reject an unknown store and write nothing', async ({ assert, fs }) => {
    await createApp(fs)
    const command = await runConfigure(fs, ['--store=mongo'])

    command.assertFailed()
    command.assertLog(
      '[ red(error) ] Invalid maintenance store "mongo". Supported stores are: file, database, and redis',
      'stderr'
    )
    await assert.fileNotExists('config/maintenance.ts')
    await assert.fileNotExists('resources/views/site_maintenance/page.edge')
    await assert.fileNotExists('deploy/maintenance/nginx.conf')
    assert.deepEqual(await migrationFiles(fs), [])
    await assert.fileNotContains('.env', 'MAINTENANCE_STORE')
    await assert.fileNotContains('start/env.ts', 'MAINTENANCE_STORE')
    await assert.fileNotContains('adonisrc.ts', 'site-maintenance')
    await assert.fileNotContains('start/kernel.ts', 'site-maintenance')
  })

  test('a second run keeps edited files, and registers nothing twice', async ({ assert, fs }) => {
    await createApp(fs)
    await runConfigure(fs, ['--store=database'])
    const [migration] = await migrationFiles(fs)
    const migrationPath = `database/migrations/${migration}`

    await fs.create('config/maintenance.ts', '// edited by the user\n')
    await fs.create('resources/views/site_maintenance/page.edge', '<p>edited</p>\n')
    await fs.create(migrationPath, '// edited migration\n')

    const command = await runConfigure(fs, ['--store=database'])
    command.assertSucceeded()

    assert.equal(await fs.contents('config/maintenance.ts'), '// edited by the user\n')
    assert.equal(await fs.contents('resources/views/site_maintenance/page.edge'), '<p>edited</p>\n')
    assert.deepEqual(await migrationFiles(fs), [migration])
    assert.equal(await fs.contents(migrationPath), '// edited migration\n')

    const count = (haystack: string, needle: string) => haystack.split(needle).length - 1
    const kernel = await fs.contents('start/kernel.ts')
    assert.equal(count(kernel, 'site-maintenance/maintenance_middleware'), 1)
    assert.equal(count(kernel, 'site-maintenance/bypass_middleware'), 0, 'opt-in (README)')
    const rcFile = await fs.contents('adonisrc.ts')
    assert.equal(count(rcFile, 'site-maintenance/maintenance_provider'), 1)
    assert.equal(count(rcFile, 'site-maintenance/commands'), 1)
    assert.equal(count(await fs.contents('.env'), 'MAINTENANCE_STORE='), 1)
    assert.equal(count(await fs.contents('start/env.ts'), 'MAINTENANCE_STORE:'), 1)
  })

  test('--force overwrites the published files, the migration in place', async ({ assert, fs }) => {
    await createApp(fs)
    await runConfigure(fs, ['--store=database'])
    const [migration] = await migrationFiles(fs)
    const migrationPath = `database/migrations/${migration}`

    await fs.create('config/maintenance.ts', '// edited by the user\n')
    await fs.create('resources/views/site_maintenance/page.edge', '<p>edited</p>\n')
    await fs.create(migrationPath, '// edited migration\n')

    const command = await runConfigure(fs, ['--store=database', '--force'])
    command.assertSucceeded()

    await assert.fileContains('config/maintenance.ts', 'database: stores.database(')
    await assert.fileContains('resources/views/site_maintenance/page.edge', '<!DOCTYPE html>')
    assert.deepEqual(await migrationFiles(fs), [migration])
    await assert.fileContains(migrationPath, `createTable('maintenance_state'`)
  })

  test('switching store with --force keeps the start/env.ts enum in step with the config', async ({
    assert,
    fs,
  }) => {
    await createApp(fs)
    const file = await runConfigure(fs, ['--store=file'])
    file.assertSucceeded()
    const redis = await runConfigure(fs, ['--store=redis', '--force'])
    redis.assertSucceeded()

    assert.deepEqual(await declaredStores(fs), ['file', 'redis'])
    assert.deepEqual(await envEnum(fs), ['redis', 'file'])
    await assert.fileContains('.env', 'MAINTENANCE_STORE=redis')
    const validation = await validateEnv(fs)
    assert.equal(validation.code, 0, validation.output)

    const database = await runConfigure(fs, ['--store=database', '--force'])
    database.assertSucceeded()
    assert.deepEqual(await declaredStores(fs), ['file', 'database'])
    assert.deepEqual(await envEnum(fs), ['database', 'file'])
    const env = await fs.contents('start/env.ts')
    assert.lengthOf(env.split('MAINTENANCE_STORE:'), 2)
    const revalidation = await validateEnv(fs)
    assert.equal(revalidation.code, 0, revalidation.output)
  }).timeout(120_000)

  test('without --force, a kept config must declare the store: else fail and name --force', async ({
    assert,
    fs,
  }) => {
    await createApp(fs)
    const file = await runConfigure(fs, ['--store=file'])
    file.assertSucceeded()

    const redis = await runConfigure(fs, ['--store=redis'])
    redis.assertFailed()
    redis.assertLog(
      '[ red(error) ] config/maintenance.ts declares no "redis" store (only file). Re-run with --force to rewrite it, or add the store to it first',
      'stderr'
    )
    await assert.fileContains('.env', 'MAINTENANCE_STORE=file')
    assert.deepEqual(await envEnum(fs), ['file'])

    /**
     * The store added to the config by hand: the re-run keeps the config
     * and brings the enum in step
     */
    const config = await fs.contents('config/maintenance.ts')
    await fs.create(
      'config/maintenance.ts',
      config.replace('  stores: {\n', "  stores: {\n    redis: stores.redis({ prefix: 'app' }),\n")
    )
    const added = await runConfigure(fs, ['--store=redis'])
    added.assertSucceeded()
    await assert.fileContains('config/maintenance.ts', "redis: stores.redis({ prefix: 'app' })")
    assert.deepEqual(await envEnum(fs), ['redis', 'file'])
    await assert.fileContains('.env', 'MAINTENANCE_STORE=redis')
    const validation = await validateEnv(fs)
    assert.equal(validation.code, 0, validation.output)
  }).timeout(120_000)

  test('the published page is a self-contained Edge template', async ({ assert, fs }) => {
    await createApp(fs)
    await runConfigure(fs, ['--store=file'])

    const template = await fs.contents('resources/views/site_maintenance/page.edge')
    assert.isBelow(Buffer.byteLength(template), 10 * 1024)
    assert.include(template, '<meta name="robots" content="noindex">')
    assert.include(template, '<html lang="en">')
    assert.notMatch(template, /<link\b|<script\b|src=|url\(/)

    const edge = Edge.create()
    edge.registerTemplate('page', { template })

    const withMessage = await edge.render('page', {
      message: 'Upgrading the <database>',
      retryAt: new Date('2030-01-02T03:04:05Z'),
    })
    assert.include(withMessage, 'Upgrading the &lt;database&gt;')
    assert.include(withMessage, '<time datetime="2030-01-02T03:04:05.000Z">')
    assert.include(withMessage, 'Wed, 02 Jan 2030 03:04:05 GMT')

    const withoutRetry = await edge.render('page', { message: 'Back soon' })
    assert.include(withoutRetry, 'Back soon')
    assert.notInclude(withoutRetry, '<time')

    const fallback = await edge.render('page', { retryAt: 'not a date' })
    assert.include(fallback, 'We are performing scheduled maintenance.')
    assert.notInclude(fallback, '<time')
  })

  test('the published config type-checks and loads in an app, the migration creates what the store needs', async ({
    assert,
    fs,
  }) => {
    await createApp(fs)
    const command = await runConfigure(fs, ['--store=database'])
    command.assertSucceeded()

    /**
     * The app's "site-maintenance" and "#start/env" imports, pointed at
     * this repository's sources and the app's own start/env.ts
     */
    const configFile = join(fs.basePath, 'config/maintenance.ts')
    const source = await readFile(configFile, 'utf-8')
    await writeFile(
      configFile,
      source
        .replace(`from 'site-maintenance'`, `from '../../../index.ts'`)
        .replaceAll(`'site-maintenance/types'`, `'../../../src/types.ts'`)
        .replace(`from '#start/env'`, `from '../start/env.ts'`)
    )

    const rcFile = join(fs.basePath, 'adonisrc.ts')
    const rcSource = await readFile(rcFile, 'utf-8')
    await writeFile(
      rcFile,
      rcSource.replace(
        `import('site-maintenance/maintenance_provider')`,
        `import('../../providers/maintenance_provider.ts')`
      )
    )

    const tsconfig = ts.getParsedCommandLineOfConfigFile(
      fileURLToPath(new URL('tsconfig.json', REPO_ROOT)),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} }
    )!
    const program = ts.createProgram([configFile], { ...tsconfig.options, noEmit: true })
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file?.fileName === configFile.replaceAll('\\', '/'))
    assert.deepEqual(
      diagnostics.map((diagnostic) =>
        ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
      ),
      []
    )

    /**
     * Boot the app (it registers the provider and loads the config), then
     * resolve the config the way the provider does, with a real Lucid
     * database in the container
     */
    const app = new AppFactory().create(
      fs.baseUrl,
      (filePath: string) => import(new URL(filePath, fs.baseUrl).href)
    ) as ApplicationService
    await app.init()
    await app.boot()
    const db = createDatabase('sqlite')
    app.container.singleton('lucid.db', () => db)

    const config = await configProvider.resolve<{
      default: string
      stores: Record<string, MaintenanceStoreFactory>
    }>(app, app.config.get('maintenance'))
    assert.exists(config)
    assert.equal(config!.default, 'database')
    assert.sameMembers(Object.keys(config!.stores), ['file', 'database'])

    /**
     * Run the published migration, then use the database store on it
     */
    const [migration] = await migrationFiles(fs)
    const { default: Migration } = await import(
      new URL(`database/migrations/${migration}`, fs.baseUrl).href
    )
    const client = db.connection('sqlite')
    await client.schema.dropTableIfExists('maintenance_state')
    await client.schema.dropTableIfExists('maintenance_sessions')
    await client.schema.dropTableIfExists('maintenance_tasks')
    await new Migration(client, migration, false).execUp()

    try {
      const store = config!.stores.database()
      const state = { ...initialState(), status: 'offline' as const, revision: 1 }
      assert.isTrue(await store.compareAndSet(state, 0))
      const stored = await store.read()
      assert.equal(stored?.status, 'offline')

      await store.touchSession('session-1', 7, Date.now() + 60_000)
      assert.equal(await store.countSessions(Date.now()), 1)

      const now = Date.now()
      await store.registerTask({
        id: 'task-1',
        name: 'import:users',
        pid: process.pid,
        host: 'localhost',
        startedAt: now,
        heartbeatAt: now,
        expiresAt: now + 60_000,
        finishedAt: null,
        status: 'running',
      })
      assert.lengthOf(await store.runningTasks(now), 1)
      await store.close()
    } finally {
      await new Migration(client, migration, false).execDown()
    }
    assert.isFalse(await client.schema.hasTable('maintenance_state'))
    assert.isFalse(await client.schema.hasTable('maintenance_tasks'))
  }).timeout(60_000)
})
