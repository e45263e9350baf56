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

/**
 * The fixture app (tests/fixtures/app) as processes: its env, its Ace
 * commands and its HTTP server. No test-runner import here, so the demo
 * (bin/demo.ts) runs the very app the tests run; tests/fixture_app.ts
 * adds the per-test cleanup.
 */
export const FIXTURE_ROOT = fileURLToPath(new URL('../tests/fixtures/app/', import.meta.url))
export const ROOT = fileURLToPath(new URL('../', import.meta.url))

/**
 * The loader flags of every fixture process (as the npm scripts run
 * TypeScript)
 */
export const LOADER_FLAGS = ['--import=@poppinss/ts-exec']

export type FixtureStore = 'file' | 'database' | 'redis'

/**
 * What the fixture app needs in its env to run on one store, its state,
 * lock file and static page under `directory`
 */
export function fixtureEnv(directory: string, store: FixtureStore): Record<string, string> {
  return {
    APP_KEY: 'averylongrandomsecretkeyforthetests',
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    MAINTENANCE_DIR: join(directory, 'state'),
    MAINTENANCE_LOCK_FILE: join(directory, 'down'),
    MAINTENANCE_STATIC_PAGE: join(directory, 'public', 'maintenance', 'index.html'),
    MAINTENANCE_STORE: store,
  }
}

/**
 * The env of a child: only what the app reads, plus PATH and HOME.
 * NODE_COMPILE_CACHE keeps V8's compiled code of the app, AdonisJS and
 * this package on disk across the suite's ~340 processes: each one spends
 * less CPU booting, nothing else changes.
 */
export function childEnv(...envs: Record<string, string>[]): Record<string, string> {
  return Object.assign(
    {
      PATH: process.env.PATH!,
      HOME: process.env.HOME ?? '/tmp',
      NODE_COMPILE_CACHE: join(ROOT, 'tmp', 'node-compile-cache'),
    },
    ...envs
  )
}

/**
 * The arguments of `node` running one Ace command of the fixture app
 */
export function aceArgv(args: string[]) {
  return [...LOADER_FLAGS, join(FIXTURE_ROOT, 'bin/console.ts'), ...args]
}

export interface AceResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunningAce {
  child: ChildProcess
  output(): string
  waitForOutput(pattern: RegExp, timeout?: number): Promise<void>
  done: Promise<AceResult>
}

/**
 * Run one Ace command of the fixture app, its output collected.
 * `track` is told of the child as soon as it exists.
 */
export function spawnAce(
  env: Record<string, string>,
  args: string[],
  extraEnv: Record<string, string> = {},
  track?: (child: ChildProcess) => void,
  input?: string
): RunningAce {
  const child = spawn(process.execPath, aceArgv(args), {
    cwd: ROOT,
    env: childEnv(env, extraEnv),
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
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
  track?.(child)
  return {
    child,
    done,
    output: () => stdout + stderr,
    waitForOutput(pattern, timeout = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`Timed out waiting for ${pattern}; output:\n${stdout}${stderr}`)),
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
 * `track` is given `stop` as soon as the child exists; a server that does
 * not get ready is stopped before the error is thrown. `detached` puts it
 * in its own process group, out of reach of a terminal's Ctrl-C (its
 * parent stops it).
 */
export async function startServer(
  env: Record<string, string>,
  extraEnv: Record<string, string> = {},
  timeout = 20_000,
  options: {
    track?: (stop: () => Promise<void>, child: ChildProcess) => void
    detached?: boolean
  } = {}
): Promise<RunningServer> {
  const port = await freePort()
  const host = '127.0.0.1'
  const child = spawn(process.execPath, [...LOADER_FLAGS, join(FIXTURE_ROOT, 'bin/server.ts')], {
    cwd: ROOT,
    env: childEnv(env, {
      /**
       * As deployed; also keeps the app from writing route types
       * (.adonisjs/) into the fixture folder
       */
      NODE_ENV: 'production',
      HOST: host,
      PORT: String(port),
      ...extraEnv,
    }),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: options.detached ?? false,
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
  options.track?.(stop, child)

  try {
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
  } catch (error) {
    await stop()
    throw error
  }

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
