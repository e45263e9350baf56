/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { openSqlite } from '../../support/database.ts'
import { cpuMicroseconds, onCpu } from './cpu.ts'
import { log, sleep } from './stats.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIST = join(ROOT, 'tmp/bench-dist')
const FIXTURE = 'tests/fixtures/app'
const APP_ROOT = join(DIST, FIXTURE)
const USERS_FILE = join(DIST, 'users.sqlite3')

/**
 * Compile the fixture app of the tests (tests/fixtures/app) and the
 * package's sources to JavaScript, as a
 * production deployment runs them: under a TypeScript loader every
 * dynamic import() made while serving a request (shield's middleware and
 * Lucid's user provider make some) goes through the loader's hooks, which
 * costs the bare app about a fifth of its CPU and would dilute the
 * package's share
 */
export async function buildApp() {
  log(`building ${FIXTURE} (tsc -p bench/tsconfig.app.json)`)
  await rm(DIST, { recursive: true, force: true })
  await promisify(execFile)(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'bench/tsconfig.app.json')],
    { cwd: ROOT }
  )
  /**
   * tsc leaves some lazy `() => import('./x.ts')` as they are
   */
  for (const file of await readdir(DIST, { recursive: true })) {
    if (!file.endsWith('.js')) continue
    const source = await readFile(join(DIST, file), 'utf8')
    const fixed = source.replace(/import\((['"])(\.{1,2}\/[^'"]+)\.ts\1\)/g, 'import($1$2.js$1)')
    if (fixed !== source) await writeFile(join(DIST, file), fixed)
  }
  for (const folder of ['public', 'resources']) {
    await cp(join(ROOT, FIXTURE, folder), join(APP_ROOT, folder), { recursive: true })
  }
  await cp(join(ROOT, 'src/plugins/edge'), join(DIST, 'src/plugins/edge'), {
    recursive: true,
    filter: (source) => !source.endsWith('.ts'),
  })
  await seedUsers()
}

/**
 * The kit stack's users (app/models/user.ts), in the SQLite file every
 * app process opens; the benchmark logs in by id, without a password
 */
async function seedUsers() {
  const db = openSqlite(USERS_FILE)
  try {
    await db.connection().schema.createTable('users', (table) => {
      table.increments('id')
      table.string('email', 254).notNullable().unique()
      table.string('password').notNullable()
    })
    await db
      .table('users')
      .multiInsert(
        Array.from({ length: 10 }, (_, index) => ({ email: `u${index}@x.t`, password: '' }))
      )
  } finally {
    await db.manager.closeAll()
  }
}

/**
 * What every process of the fixture app gets: the starter kit's stack
 * (FIXTURE_STACK, start/env.ts) and the package's default refresh
 * interval, unless the caller says otherwise
 */
function appEnv(port: number, env: AppEnv) {
  return {
    PATH: process.env.PATH!,
    HOME: process.env.HOME ?? '/tmp',
    HOST: '127.0.0.1',
    PORT: String(port),
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    APP_KEY: 'averylongrandomsecretkeyforthebench',
    FIXTURE_STACK: 'kit',
    /**
     * Milliseconds (app/providers/test_overrides_provider.ts)
     */
    MAINTENANCE_REFRESH_INTERVAL: '1000',
    SQLITE_FILE: USERS_FILE,
    ...env,
  }
}

export interface AppEnv {
  [key: string]: string
}

/**
 * One app process: its port, its stdout line count (JSON log lines)
 */
export class AppInstance {
  child: ChildProcess
  lines = 0
  output = ''
  #ready: Promise<void>

  /**
   * `cpu`: run the process on that core only (see cpu.ts). `ipc`: open the
   * channel the fixture app answers "counters" on (app/counters.ts); with
   * FIXTURE_COUNT_QUERIES=1 in `env` it counts its database queries
   */
  constructor(
    readonly port: number,
    env: AppEnv,
    cpu?: string,
    ipc = false
  ) {
    const { command, args } = onCpu(cpu, process.execPath, [join(APP_ROOT, 'bin/server.js')])
    this.child = spawn(command, args, {
      cwd: ROOT,
      env: appEnv(port, env),
      stdio: ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    })
    this.child.stdout!.setEncoding('utf8')
    this.child.stderr!.setEncoding('utf8')
    this.#ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`app on :${port} did not start:\n${this.output}`)),
        30_000
      )
      const onData = (chunk: string) => {
        this.output = (this.output + chunk).slice(-20_000)
        for (const char of chunk) if (char === '\n') this.lines++
        if (this.output.includes('started HTTP server')) {
          clearTimeout(timer)
          resolve()
        }
      }
      this.child.stdout!.on('data', onData)
      this.child.stderr!.on('data', (chunk: string) => {
        this.output = (this.output + chunk).slice(-20_000)
      })
      this.child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`app on :${port} exited with ${code}:\n${this.output}`))
      })
    })
    this.#ready.catch(() => {})
  }

  ready() {
    return this.#ready
  }

  url(path: string) {
    return `http://127.0.0.1:${this.port}${path}`
  }

  /**
   * What the app counted so far (started with `ipc` only)
   */
  counters() {
    return new Promise<Record<string, number>>((resolve, reject) => {
      /**
       * AdonisJS sends its own messages on the channel (the server ready)
       */
      const onMessage = (message: any) => {
        if (!message?.counters) return
        clearTimeout(timer)
        this.child.off('message', onMessage)
        resolve(message.counters)
      }
      const timer = setTimeout(() => {
        this.child.off('message', onMessage)
        reject(new Error(`:${this.port} sent no counters`))
      }, 5000)
      this.child.on('message', onMessage)
      this.child.send('counters')
    })
  }

  /**
   * CPU time of the process so far, all its threads
   */
  cpuMicroseconds() {
    return cpuMicroseconds(this.child.pid!)
  }

  /**
   * SIGTERM, then SIGKILL if it lingers
   */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.kill('SIGTERM')
    const timeout = sleep(5000).then(() => 'timeout')
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      this.child.kill('SIGKILL')
      await exited
    }
  }
}

/**
 * Run an Ace command of the fixture app as a real process; resolves when it
 * exits, with the moment it exited
 */
export function ace(args: string[], env: AppEnv) {
  return new Promise<{ code: number | null; output: string; exitedAt: number }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [join(APP_ROOT, 'bin/console.js'), ...args], {
        cwd: ROOT,
        env: appEnv(0, env),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.on('data', (chunk) => (output += chunk))
      child.stderr.on('data', (chunk) => (output += chunk))
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.once('error', reject)
      child.once('exit', (code) => {
        const exitedAt = performance.now()
        clearTimeout(timer)
        resolve({ code, output, exitedAt })
      })
    }
  )
}
