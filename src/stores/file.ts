/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes } from 'node:crypto'
import { watch, type FSWatcher } from 'node:fs'
import { mkdir, open, readFile, readdir, rm, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import debug from '../debug.ts'
import * as errors from '../errors.ts'
import { PRIVATE_FILE, writeAtomic } from '../write_atomic.ts'
import { parseState } from '../state.ts'
import type {
  MaintenanceState,
  MaintenanceStoreContract,
  RawStateRecord,
  TaskRecord,
} from '../types.ts'

/**
 * The embedded default store: one JSON state file and two directories of
 * small files for the census, under `tmp/maintenance`. For one host.
 */
export class FileStore implements MaintenanceStoreContract {
  readonly name = 'file'
  readonly statePath: string
  #lockPath: string
  #sessionsDir: string
  #tasksDir: string
  #loggedOutDir: string
  #watcher: FSWatcher | null = null

  constructor(readonly directory: string) {
    this.statePath = join(directory, 'state.json')
    this.#lockPath = join(directory, 'state.lock')
    this.#sessionsDir = join(directory, 'sessions')
    this.#tasksDir = join(directory, 'tasks')
    this.#loggedOutDir = join(directory, 'logged_out')
  }

  async read(): Promise<MaintenanceState | null> {
    const contents = await this.#readContents()
    return contents === null ? null : parseState(contents, this.statePath)
  }

  async #readContents(): Promise<string | null> {
    try {
      return await readFile(this.statePath, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new errors.E_STORE_UNAVAILABLE([this.name, (error as Error).message])
    }
  }

  /**
   * Writers serialise on an exclusive lock file holding a random owner
   * token. A lock left by a killed process is taken over once it is older
   * than a few seconds; nobody removes a lock it does not own.
   */
  async compareAndSet(next: MaintenanceState, expectedRevision: number): Promise<boolean> {
    return this.#writeIf(next, async () => {
      const current = await this.read()
      return (current?.revision ?? 0) === expectedRevision
    })
  }

  /**
   * The revision lives inside the file: a damaged one keeps it when it is
   * still legible (a truncated write, a bad hand edit), else 0
   */
  async readRaw(): Promise<RawStateRecord | null> {
    const data = await this.#readContents()
    if (data === null) return null
    const revision = Number(/"revision"\s*:\s*(\d+)/.exec(data)?.[1] ?? 0)
    return { data, revision: Number.isSafeInteger(revision) ? revision : 0 }
  }

  async replaceCorrupt(next: MaintenanceState, record: RawStateRecord): Promise<boolean> {
    return this.#writeIf(next, async () => (await this.#readContents()) === record.data)
  }

  async #writeIf(next: MaintenanceState, check: () => Promise<boolean>): Promise<boolean> {
    await mkdir(this.directory, { recursive: true })
    const token = await this.#acquire()
    try {
      if (!(await check())) return false
      await writeAtomic(this.statePath, JSON.stringify(next, null, 2) + '\n', PRIVATE_FILE)
      return true
    } finally {
      await this.#release(token)
    }
  }

  async #release(token: string) {
    const owner = await readFile(this.#lockPath, 'utf8').catch(() => null)
    if (owner === token) await rm(this.#lockPath, { force: true })
  }

  /**
   * Take over a stale lock. Takers serialise on a second lock file, and
   * the one holding it removes the stale lock only if it still holds the
   * owner token read when it was found stale: a lock taken meanwhile by
   * a live writer is never removed. A taker's own lock left by a crash is
   * cleared after a longer wait.
   */
  async #takeOver(staleOwner: string) {
    const takeover = `${this.#lockPath}.takeover`
    try {
      const handle = await open(takeover, 'wx')
      await handle.close()
    } catch {
      const left = await stat(takeover).catch(() => null)
      if (left && Date.now() - left.mtimeMs > 15_000) await rm(takeover, { force: true })
      return
    }
    try {
      const owner = await readFile(this.#lockPath, 'utf8').catch(() => null)
      if (owner === staleOwner) await rm(this.#lockPath, { force: true })
    } finally {
      await rm(takeover, { force: true })
    }
  }

  async #acquire(): Promise<string> {
    const started = Date.now()
    const token = `${process.pid}:${randomBytes(12).toString('hex')}`
    while (true) {
      try {
        const handle = await open(this.#lockPath, 'wx', PRIVATE_FILE)
        await handle.writeFile(token)
        await handle.close()
        return token
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new errors.E_STORE_UNAVAILABLE([this.name, (error as Error).message])
        }
      }
      const lock = await stat(this.#lockPath).catch(() => null)
      if (lock && Date.now() - lock.mtimeMs > 5000) {
        const owner = await readFile(this.#lockPath, 'utf8').catch(() => null)
        if (owner !== null) await this.#takeOver(owner)
        continue
      }
      if (Date.now() - started > 10_000) {
        throw new errors.E_STORE_UNAVAILABLE([
          this.name,
          `${this.#lockPath} is held by another process`,
        ])
      }
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10))
    }
  }

  async touchSession(key: string, userId: string | number | null, expiresAt: number) {
    await mkdir(this.#sessionsDir, { recursive: true })
    await writeAtomic(
      join(this.#sessionsDir, key),
      JSON.stringify({ userId, expiresAt }),
      PRIVATE_FILE
    )
  }

  async dropSession(key: string, loggedOutUntil?: number) {
    await rm(join(this.#sessionsDir, key), { force: true })
    if (loggedOutUntil === undefined) return
    await mkdir(this.#loggedOutDir, { recursive: true })
    await writeAtomic(
      join(this.#loggedOutDir, key),
      JSON.stringify({ expiresAt: loggedOutUntil }),
      PRIVATE_FILE
    )
  }

  async loggedOutSessions(now: number) {
    const keys: string[] = []
    for (const [path, entry] of await this.#entries<{ expiresAt: number }>(this.#loggedOutDir)) {
      if (entry && entry.expiresAt > now) keys.push(basename(path))
      else if (entry) await rm(path, { force: true })
    }
    return keys
  }

  /**
   * Counts live entries and removes the expired ones on the way
   */
  async countSessions(now: number, cap: number = Infinity) {
    return Math.min(cap, await this.#countSessions(now))
  }

  async #countSessions(now: number) {
    let count = 0
    for (const [path, entry] of await this.#entries<{ expiresAt: number }>(this.#sessionsDir)) {
      if (entry && entry.expiresAt > now) count++
      else await rm(path, { force: true })
    }
    return count
  }

  async registerTask(task: TaskRecord) {
    await mkdir(this.#tasksDir, { recursive: true })
    await writeAtomic(join(this.#tasksDir, `${task.id}.json`), JSON.stringify(task), PRIVATE_FILE)
  }

  async #updateTask(id: string, update: Partial<TaskRecord>) {
    const path = join(this.#tasksDir, `${id}.json`)
    const task = await readFile(path, 'utf8')
      .then((contents) => JSON.parse(contents) as TaskRecord)
      .catch(() => null)
    if (!task) return
    await writeAtomic(path, JSON.stringify({ ...task, ...update }), PRIVATE_FILE)
  }

  async heartbeatTask(id: string, heartbeatAt: number, expiresAt: number) {
    await this.#updateTask(id, { heartbeatAt, expiresAt })
  }

  async finishTask(id: string, status: 'finished' | 'failed', finishedAt: number) {
    await this.#updateTask(id, { status, finishedAt })
  }

  async runningTasks(now: number) {
    const tasks: TaskRecord[] = []
    for (const [, task] of await this.#entries<TaskRecord>(this.#tasksDir)) {
      if (task && task.status === 'running' && task.expiresAt > now) tasks.push(task)
    }
    return tasks
  }

  /**
   * Reads every JSON file of a directory; unreadable entries come back as
   * null (a half-removed file is not an error)
   */
  async #entries<T>(directory: string): Promise<[string, T | null][]> {
    let names: string[]
    try {
      names = await readdir(directory)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new errors.E_STORE_UNAVAILABLE([this.name, (error as Error).message])
    }
    return Promise.all(
      names
        .filter((name) => !name.endsWith('.tmp'))
        .map(async (name): Promise<[string, T | null]> => {
          const path = join(directory, name)
          try {
            return [path, JSON.parse(await readFile(path, 'utf8')) as T]
          } catch {
            return [path, null]
          }
        })
    )
  }

  /**
   * Every app process on this host re-reads the state as soon as the
   * state file is replaced (an Ace command's transition, or another
   * process's): without it a process kept the previous state for up to
   * one poll interval after `offline:off` or `offline:on` had returned,
   * and refused a logout (or let a login in) that came right after. The
   * poll stays, for file systems that report no changes.
   */
  async subscribe(listener: () => void) {
    await mkdir(this.directory, { recursive: true })
    const stateFile = basename(this.statePath)
    try {
      this.#watcher = watch(this.directory, { persistent: false }, (_event, name) => {
        if (name === null || name === stateFile) listener()
      })
    } catch (error) {
      debug('cannot watch %s, polling only: %O', this.directory, error)
      return
    }
    this.#watcher.on('error', (error) => {
      debug('watching %s failed, polling only: %O', this.directory, error)
      this.#unwatch()
    })
  }

  #unwatch() {
    this.#watcher?.close()
    this.#watcher = null
  }

  async close() {
    this.#unwatch()
  }
}
