/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { freePort } from './free_port.ts'
import { getActiveTest } from '@japa/runner'
import { FileStore } from '../src/stores/file.ts'
import { DatabaseStore } from '../src/stores/database.ts'
import { RedisStore } from '../src/stores/redis.ts'
import type { MaintenanceStoreContract } from '../src/types.ts'
import {
  type StoreName,
  connections,
  createDatabase,
  createRedis,
  createTables,
  makeTempDir,
} from './helpers.ts'

export const FIXTURE_ROOT = fileURLToPath(new URL('./fixtures/app/', import.meta.url))
const ROOT = fileURLToPath(new URL('../', import.meta.url))

/**
 * How the fixture app's processes load TypeScript
 */
export const TS_LOADER = '--import=@poppinss/ts-exec'

/**
 * The env every process of the fixture app starts with. NODE_COMPILE_CACHE
 * keeps V8's compiled code of the app, AdonisJS and this package on disk
 * across the suite's ~340 processes: each one spends less CPU booting
 * (about 15% of a boot on the 2-core test machine), nothing else changes.
 */
const PROCESS_ENV = {
  PATH: process.env.PATH!,
  HOME: process.env.HOME ?? '/tmp',
  NODE_COMPILE_CACHE: join(ROOT, 'tmp', 'node-compile-cache'),
}

export interface AceResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * The fixture app wired to one store, plus a store instance on the same
 * backend so tests can seed and inspect the census directly
 */
export interface FixtureApp {
  env: Record<string, string>
  store: MaintenanceStoreContract
  lockFile: string
  directory: string
  /**
   * `input`, when given, is piped to the command's stdin (else stdin is
   * /dev/null, as in a script run without a terminal)
   */
  ace(args: string[], extraEnv?: Record<string, string>, input?: string): Promise<AceResult>
  spawnAce(args: string[], extraEnv?: Record<string, string>, input?: string): RunningAce
}

export interface RunningAce {
  child: ChildProcess
  output(): string
  waitForOutput(pattern: RegExp, timeout?: number): Promise<void>
  done: Promise<AceResult>
}

export async function createFixtureApp(name: StoreName): Promise<FixtureApp> {
  const directory = await makeTempDir()
  const lockFile = join(directory, 'down')
  const env: Record<string, string> = {
    APP_KEY: 'averylongrandomsecretkeyforthetests',
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    MAINTENANCE_DIR: join(directory, 'state'),
    MAINTENANCE_LOCK_FILE: lockFile,
    MAINTENANCE_STATIC_PAGE: join(directory, 'public', 'maintenance', 'index.html'),
    MAINTENANCE_STORE: name === 'file' || name === 'redis' ? name : 'database',
  }

  let store: MaintenanceStoreContract
  if (name === 'file') {
    store = new FileStore(env.MAINTENANCE_DIR)
  } else if (name === 'redis') {
    const { redis, prefix } = createRedis()
    env.REDIS_PREFIX = prefix
    store = new RedisStore(redis as any, { prefix })
  } else {
    const db = createDatabase(name)
    const prefix = `maint_${process.pid}`
    const tables = await createTables(db, name, prefix)
    env.DB_CONNECTION = name
    env.MAINTENANCE_TABLE_PREFIX = prefix
    env.SQLITE_FILE = connections.sqlite.connection.filename
    store = new DatabaseStore(db.connection(name), {
      stateTable: tables.state,
      sessionsTable: tables.sessions,
      tasksTable: tables.tasks,
    })
  }

  const spawnAce = (
    args: string[],
    extraEnv: Record<string, string> = {},
    input?: string
  ): RunningAce => {
    const child = spawn(
      process.execPath,
      [TS_LOADER, join(FIXTURE_ROOT, 'bin/console.ts'), ...args],
      {
        cwd: ROOT,
        env: { ...PROCESS_ENV, ...env, ...extraEnv },
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      }
    )
    if (input !== undefined) child.stdin!.end(input)
    let stdout = ''
    let stderr = ''
    const waiters: (() => void)[] = []
    child.stdout!.on('data', (chunk) => {
      stdout += chunk
      waiters.forEach((check) => check())
    })
    child.stderr!.on('data', (chunk) => {
      stderr += chunk
      waiters.forEach((check) => check())
    })
    const done = new Promise<AceResult>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
    })
    getActiveTest()?.cleanup(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    })
    return {
      child,
      done,
      output: () => stdout + stderr,
      waitForOutput(pattern, timeout = 15_000) {
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(new Error(`Timed out waiting for ${pattern}; output:\n${stdout}${stderr}`)),
            timeout
          )
          const check = () => {
            if (pattern.test(stdout + stderr)) {
              clearTimeout(timer)
              resolve()
            }
          }
          waiters.push(check)
          check()
          done.then(() => {
            check()
            clearTimeout(timer)
            if (!pattern.test(stdout + stderr)) {
              reject(new Error(`Exited before ${pattern}; output:\n${stdout}${stderr}`))
            }
          })
        })
      },
    }
  }

  return {
    env,
    store,
    lockFile,
    directory,
    spawnAce,
    ace: (args, extraEnv, input) => spawnAce(args, extraEnv, input).done,
  }
}

/**
 * What the fixture app counted (tests/fixtures/app/app/counters.ts)
 */
export interface AppCounters {
  handlers: number
  sessionReads: number
  renders: number
  contexts: number
  queries: number
}

/**
 * The fixture app's HTTP server, running as a child process
 */
export interface RunningServer {
  child: ChildProcess
  port: number
  host: string
  output(): string
  counters(): Promise<AppCounters>
  stop(): Promise<void>
}

/**
 * Start the fixture app's HTTP server (bin/server.ts, as the starter kits
 * do) on a free loopback port, and wait until the app is ready: its
 * providers' ready() hooks, the maintenance state refresh included, ran.
 */
export async function startServer(
  app: FixtureApp,
  extraEnv: Record<string, string> = {},
  timeout = 20_000
): Promise<RunningServer> {
  const port = await freePort()
  const host = '127.0.0.1'
  const child = spawn(process.execPath, [TS_LOADER, join(FIXTURE_ROOT, 'bin/server.ts')], {
    cwd: ROOT,
    env: {
      ...PROCESS_ENV,
      ...app.env,
      /**
       * As deployed; also keeps the app from writing route types
       * (.adonisjs/) into the fixture folder
       */
      NODE_ENV: 'production',
      HOST: host,
      PORT: String(port),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
    await exited
    clearTimeout(timer)
  }
  getActiveTest()?.cleanup(stop)

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`The server did not get ready within ${timeout}ms; output:\n${output}`))
    }, timeout)
    child.on('message', (message) => {
      if (message === 'ready') {
        clearTimeout(timer)
        resolve()
      }
    })
    exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`The server exited before it was ready; output:\n${output}`))
    })
  })

  return {
    child,
    port,
    host,
    stop,
    output: () => output,
    counters() {
      return new Promise<AppCounters>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('No counters from the server')), 5_000)
        const listener = (message: any) => {
          if (message && typeof message === 'object' && 'counters' in message) {
            clearTimeout(timer)
            child.off('message', listener)
            resolve(message.counters)
          }
        }
        child.on('message', listener)
        child.send('counters')
      })
    },
  }
}
