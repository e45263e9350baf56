/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { prepareDatabase } from '../../support/database.ts'
import {
  ROOT,
  fixtureEnv,
  spawnAce,
  startServer,
  type RunningServer,
} from '../../support/fixture_processes.ts'

/**
 * The demo's site: the tests' fixture app (tests/fixtures/app, the
 * package installed as `node ace add` installs it) on the embedded
 * default, the file store and SQLite, its state in one folder under
 * tmp/demo/ of the repository. Nothing is written anywhere else.
 */
export const DEMO_ROOT = join(ROOT, 'tmp', 'demo')

/**
 * The folder of a demo: DEMO_DIR (the tests give their own) or `name`
 * under tmp/demo/. Refused outside tmp/.
 */
export function demoDirectory(name: string) {
  const directory = resolve(ROOT, process.env.DEMO_DIR ?? join(DEMO_ROOT, name))
  const fromTmp = relative(join(ROOT, 'tmp'), directory)
  if (!fromTmp || fromTmp.startsWith('..') || isAbsolute(fromTmp)) {
    throw new Error(`The demo keeps its state under tmp/, not in ${directory}`)
  }
  return directory
}

/**
 * A path as printed: relative to the repository
 */
export function shown(path: string) {
  return relative(process.cwd(), path) || '.'
}

/**
 * The env of every process of one demo
 */
export function demoEnv(directory: string): Record<string, string> {
  return {
    ...fixtureEnv(directory, 'file'),
    SQLITE_FILE: join(directory, 'app.sqlite3'),
    FIXTURE_DEMO: 'true',
  }
}

/**
 * Every child still running, stopped on every way out (see `exit`)
 */
const children = new Set<ChildProcess>()
const servers = new WeakSet<ChildProcess>()
const stops = new Set<() => Promise<void>>()

function tracked(child: ChildProcess) {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

/**
 * Run one Ace command of the demo's app, its output collected. Quiet
 * logger: the command's own lines say what happened.
 */
export function ace(directory: string, args: string[]) {
  return spawnAce(demoEnv(directory), args, { LOG_LEVEL: 'warn' }, tracked).done
}

export interface DemoSite {
  directory: string
  lockFile: string
  server: RunningServer
  url: string
}

/**
 * A fresh demo site: the folder emptied, the users table seeded, the HTTP
 * server started on a free 127.0.0.1 port, its log in server.log
 */
export async function startSite(directory: string): Promise<DemoSite> {
  await rm(directory, { recursive: true, force: true })
  await mkdir(directory, { recursive: true })
  const env = demoEnv(directory)
  await prepareDatabase(env.SQLITE_FILE)
  const log = createWriteStream(join(directory, 'server.log'))
  const server = await startServer(env, { FIXTURE_EXIT_WITH_PARENT: 'true' }, 60_000, {
    /**
     * Out of the terminal's process group: Ctrl-C reaches the demo
     * only, which stops the server gracefully (and a demo killed
     * outright closes the IPC channel, which stops it too)
     */
    detached: true,
    track(stop, child) {
      stops.add(stop)
      servers.add(child)
      tracked(child)
      child.stdout!.pipe(log)
      child.stderr!.pipe(log)
    },
  })
  return {
    directory,
    lockFile: env.MAINTENANCE_LOCK_FILE,
    server,
    url: `http://${server.host}:${server.port}`,
  }
}

/**
 * The file that tells `npm run demo -- <command>` a demo runs
 */
export interface DemoRecord {
  pid: number
  serverPid: number
  url: string
}

function recordFile(directory: string) {
  return join(directory, 'demo.json')
}

export async function writeRecord(directory: string, record: DemoRecord) {
  await writeFile(recordFile(directory), JSON.stringify(record, null, 2) + '\n')
}

function alive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The record of the demo running in this folder, if one runs
 */
export async function runningDemo(directory: string): Promise<DemoRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(recordFile(directory), 'utf8')) as DemoRecord
    return alive(record.pid) ? record : undefined
  } catch {
    return undefined
  }
}

let exiting = false
let recordToRemove: string | undefined

export function removeRecordOnExit(directory: string) {
  recordToRemove = recordFile(directory)
}

/**
 * Whether the demo is on its way out (a child exiting then is expected)
 */
export function isExiting() {
  return exiting
}

/**
 * The one way out: stop the server (SIGTERM, SIGKILL after 3 s) and
 * every Ace child, remove the record, exit with `code`. Once on the way
 * out, later calls wait for the first one.
 */
export async function exit(code: number): Promise<never> {
  if (exiting) return new Promise<never>(() => {})
  exiting = true
  for (const child of children) if (!servers.has(child)) child.kill('SIGTERM')
  await Promise.allSettled([...stops].map((stop) => stop()))
  if (recordToRemove) await rm(recordToRemove, { force: true })
  process.exit(code)
}

/**
 * Ctrl-C, SIGTERM and SIGHUP end the demo through `exit`; a second one
 * kills what is left at once. Whatever way the process ends, no child
 * outlives it.
 */
export function exitOnSignals(codeFor: (signal: NodeJS.Signals) => number) {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (!exiting) {
        console.error(`\n${signal}: stopping the demo`)
        return void exit(codeFor(signal))
      }
      for (const child of children) child.kill('SIGKILL')
      process.exit(codeFor(signal))
    })
  }
  process.on('exit', () => {
    for (const child of children) child.kill('SIGKILL')
  })
}
