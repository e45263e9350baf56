/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sleep } from './stats.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const APP_ROOT = join(ROOT, 'bench/app')

/**
 * The package's HTTP middleware, once it exists. Until then the bench app
 * runs without it and the propagation probe reads the in-memory status.
 */
export function middlewareLanded() {
  return (
    existsSync(join(ROOT, 'src/maintenance_middleware.ts')) &&
    existsSync(join(ROOT, 'src/presence_middleware.ts'))
  )
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

  constructor(
    readonly port: number,
    env: AppEnv
  ) {
    this.child = spawn(
      process.execPath,
      ['--import=@poppinss/ts-exec', join(APP_ROOT, 'bin/server.ts')],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH!,
          HOME: process.env.HOME ?? '/tmp',
          HOST: '127.0.0.1',
          PORT: String(port),
          NODE_ENV: 'production',
          LOG_LEVEL: 'info',
          APP_KEY: 'averylongrandomsecretkeyforthebench',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }
    )
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
 * Run an Ace command of the bench app as a real process; resolves when it
 * exits, with the moment it exited
 */
export function ace(args: string[], env: AppEnv) {
  return new Promise<{ code: number | null; output: string; exitedAt: number }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import=@poppinss/ts-exec', join(APP_ROOT, 'bin/console.ts'), ...args],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH!,
            HOME: process.env.HOME ?? '/tmp',
            HOST: '127.0.0.1',
            PORT: '0',
            NODE_ENV: 'production',
            LOG_LEVEL: 'info',
            APP_KEY: 'averylongrandomsecretkeyforthebench',
            ...env,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        }
      )
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
