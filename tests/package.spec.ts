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
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from '@japa/runner'
import { launchChromium } from './chromium.ts'
import { freePort } from '../support/free_port.ts'
import { graph, requestPathOffenders } from './import_graph.ts'

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const SKELETON = join(ROOT, 'tests/fixtures/packed_app')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * What npm needs to reach the registry on machines behind a proxy or a
 * TLS-inspecting gateway (its CA bundle): without them the install's
 * registry requests fail with SELF_SIGNED_CERT_IN_CHAIN and npm retries
 * until the time limit
 */
const NETWORK_ENV = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
]

/**
 * The app reads its own .env: nothing from this test process (whose
 * environment other tests may have filled) must override it
 */
function cleanEnv() {
  const env: Record<string, string> = { NODE_ENV: 'development' }
  for (const name of ['PATH', 'HOME', 'npm_config_cache', 'npm_config_nodedir', ...NETWORK_ENV]) {
    if (process.env[name]) env[name] = process.env[name]!
  }
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_config_(cafile|ca|strict_ssl|proxy|https_proxy|registry)$/i.test(name) && value) {
      env[name] = value
    }
  }
  return env
}

/**
 * Run a command to its end, with a time limit
 */
function run(command: string, args: string[], cwd: string, timeout = 240_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} timed out\n${stdout}\n${stderr}`))
    }, timeout)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

async function installedVersion(name: string) {
  const manifest = JSON.parse(
    await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')
  )
  return manifest.version as string
}

async function statusOf(url: string) {
  const response = await fetch(url)
  await response.arrayBuffer()
  return response.status
}

async function waitFor<T>(probe: () => Promise<T | null>, timeout = 20_000): Promise<T> {
  const started = Date.now()
  while (Date.now() - started < timeout) {
    const value = await probe().catch(() => null)
    if (value !== null) return value
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error('timed out')
}

/**
 * The package as users get it: built, packed, installed from the tarball
 * into a fresh AdonisJS 7 app, configured with `node ace configure`
 */
test.group('Packed package in a fresh app', (group) => {
  let app: string
  let tarball: string

  group.setup(async () => {
    const build = await run('npm', ['run', 'build'], ROOT)
    if (build.code !== 0) throw new Error(`npm run build failed\n${build.stdout}\n${build.stderr}`)

    const packDir = await mkdtemp(join(tmpdir(), 'site-maintenance-pack-'))
    const pack = await run('npm', ['pack', '--json', '--pack-destination', packDir], ROOT)
    if (pack.code !== 0) throw new Error(`npm pack failed\n${pack.stderr}`)
    tarball = join(packDir, JSON.parse(pack.stdout)[0].filename)

    app = await mkdtemp(join(tmpdir(), 'site-maintenance-app-'))
    await cp(SKELETON, app, { recursive: true })
    await cp(join(SKELETON, 'env.tpl'), join(app, '.env'))
    await cp(join(SKELETON, 'env.tpl'), join(app, '.env.example'))
    let manifest = await readFile(join(SKELETON, 'package.json.tpl'), 'utf8')
    const versions: Record<string, string> = {
      __ASSEMBLER__: await installedVersion('@adonisjs/assembler'),
      __CORE__: await installedVersion('@adonisjs/core'),
      __TSCONFIG__: await installedVersion('@adonisjs/tsconfig'),
      __TSEXEC__: await installedVersion('@poppinss/ts-exec'),
      __EDGE__: await installedVersion('edge.js'),
      __TYPESCRIPT__: await installedVersion('typescript'),
      __TARBALL__: `file:${tarball}`,
    }
    for (const [placeholder, version] of Object.entries(versions)) {
      manifest = manifest.replace(placeholder, version)
    }
    await writeFile(join(app, 'package.json'), manifest)

    /**
     * Everything the app needs is in npm's cache after the repo's own
     * install: offline first, so a stalled registry cannot hold the suite
     * up; the registry only when something is missing from the cache. The
     * optional peers (Lucid, Redis, session) are not installed: the app
     * uses the file store, and resolving them fetched metadata of their
     * own peers (the AWS SDK, Japa) that stalled the install for minutes.
     */
    const flags = ['--no-audit', '--no-fund', '--ignore-scripts', '--legacy-peer-deps']
    let install = await run('npm', ['install', '--offline', ...flags], app, 120_000)
    if (install.code !== 0) {
      install = await run('npm', ['install', '--prefer-offline', ...flags], app, 300_000)
    }
    if (install.code !== 0) throw new Error(`npm install failed\n${install.stderr}`)

    return async () => {
      await rm(app, { recursive: true, force: true })
      await rm(packDir, { recursive: true, force: true })
    }
  })

  test('the tarball ships the build, stubs and commands manifest only', async ({ assert }) => {
    const installed = join(app, 'node_modules', 'site-maintenance')
    for (const file of [
      'build/index.js',
      'build/index.d.ts',
      'build/providers/maintenance_provider.js',
      'build/src/request_path/maintenance_middleware.js',
      'build/commands/commands.json',
      'build/stubs/config/maintenance.stub',
      'build/stubs/resources/views/maintenance.edge.stub',
      'build/src/plugins/edge/banner.edge',
    ]) {
      assert.isTrue(existsSync(join(installed, file)), `${file} is shipped`)
    }
    assert.isFalse(existsSync(join(installed, 'tests')), 'no tests in the tarball')
    assert.isFalse(existsSync(join(installed, 'build/tests')), 'no built tests')
    const commands = JSON.parse(
      await readFile(join(installed, 'build/commands/commands.json'), 'utf8')
    )
    assert.includeMembers(
      commands.commands.map((command: { commandName: string }) => command.commandName),
      ['offline:on', 'offline:off', 'offline:status', 'offline:snippet']
    )
  })

  test('the built request path loads no store and no node:fs', async ({ assert }) => {
    const installed = join(app, 'node_modules', 'site-maintenance')
    const reached = graph(
      [
        'build/src/request_path/maintenance_middleware.js',
        'build/src/request_path/early_answer.js',
      ],
      `${installed}/`
    )
    assert.deepEqual(requestPathOffenders(reached, `${installed}/`), [])
    assert.isTrue(
      reached.has(join(installed, 'build/src/request_path/presence_marker.js')),
      'the walk follows the built imports'
    )
  })

  test('node ace configure, then offline:on/off drive the app and its lock file', async ({
    assert,
    cleanup,
  }) => {
    const ace = (...args: string[]) => run(process.execPath, ['ace.js', ...args], app, 60_000)

    const configure = await ace('configure', 'site-maintenance', '--store=file')
    assert.equal(configure.code, 0, configure.stdout + configure.stderr)
    assert.include(await readFile(join(app, 'config/maintenance.ts'), 'utf8'), 'stores.file(')
    assert.include(
      await readFile(join(app, 'start/kernel.ts'), 'utf8'),
      'site-maintenance/maintenance_middleware'
    )
    assert.include(await readFile(join(app, 'adonisrc.ts'), 'utf8'), 'site-maintenance/commands')

    const list = await ace('list')
    assert.include(list.stdout, 'offline:on')

    const port = await freePort()
    const env = await readFile(join(app, '.env'), 'utf8')
    await writeFile(join(app, '.env'), env.replace('PORT=3333', `PORT=${port}`))
    const server = spawn(process.execPath, ['--import=@poppinss/ts-exec', 'bin/server.ts'], {
      cwd: app,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let serverOutput = ''
    server.stdout.on('data', (chunk) => (serverOutput += chunk))
    server.stderr.on('data', (chunk) => (serverOutput += chunk))
    cleanup(() => {
      server.kill('SIGKILL')
    })
    const url = `http://127.0.0.1:${port}/`
    const first = await waitFor(() => statusOf(url)).catch(() => {
      throw new Error(`the app did not start\n${serverOutput}`)
    })
    const home = await fetch(url)
    assert.equal(first, 200, `${serverOutput}\n${await home.text()}`)
    assert.include(
      await readFile(join(app, 'config/maintenance.ts'), 'utf8'),
      'banner: { live: true }',
      'configure writes the live banner (issue 30)'
    )

    /**
     * A page left open while ONLINE, with only the README's banner line
     * and the config configure wrote: the banner comes by itself
     */
    const browser = await launchChromium()
    cleanup(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`${url}page`)
    assert.equal(await page.locator('.sm-banner').count(), 0, 'no banner while ONLINE')

    const on = await ace('offline:on', '--force', '--message=Packed and shipped')
    assert.equal(on.code, 0, on.stdout + on.stderr)
    const switchedAt = Date.now()
    const banner = page.locator('.sm-banner--offline')
    await banner.waitFor({ state: 'visible', timeout: 5_000 })
    assert.isBelow(Date.now() - switchedAt, 5_000)
    assert.include(await banner.innerText(), 'Packed and shipped')
    assert.isTrue(existsSync(join(app, 'tmp/maintenance/down')), 'lock file')
    assert.include(
      await readFile(join(app, 'public/maintenance/index.html'), 'utf8'),
      'Packed and shipped'
    )

    const down = await waitFor(async () => {
      const response = await fetch(url)
      return response.status === 503 ? response : null
    })
    assert.equal(down.headers.get('cache-control'), 'no-store')
    assert.equal(down.headers.get('retry-after'), '60')
    assert.include(await down.text(), 'Packed and shipped')
    assert.equal(await statusOf(`${url}health`), 200, 'allowed path of the stub')

    const off = await ace('offline:off')
    assert.equal(off.code, 0, off.stdout + off.stderr)
    assert.isFalse(existsSync(join(app, 'tmp/maintenance/down')))
    await waitFor(async () => ((await statusOf(url)) === 200 ? true : null))

    const snippet = await ace('offline:snippet', 'nginx', `--upstream=127.0.0.1:${port}`)
    assert.equal(snippet.code, 0, snippet.stderr)
    assert.include(snippet.stdout, join(app, 'tmp/maintenance/down'))

    const offlineRun = await ace('offline:run', '--', process.execPath, '-e', 'process.exit(0)')
    assert.equal(offlineRun.code, 0, offlineRun.stdout + offlineRun.stderr)
    assert.include(offlineRun.stdout, 'The command succeeded; the site is ONLINE')

    const health = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('site-maintenance/health'); console.log(typeof m.MaintenanceCheck)`,
      ],
      app
    )
    assert.equal(health.stdout.trim(), 'function', health.stderr)
  }).timeout(120_000)
})
