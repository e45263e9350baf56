/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { access, mkdir, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { MaintenancePage } from './maintenance_page.ts'
import type { MaintenanceState, ResolvedMaintenanceConfig } from './types.ts'
import { PUBLIC_FILE, writeAtomic } from './write_atomic.ts'

/**
 * What a lock file says about the state it mirrors
 */
export interface LockFileEvidence {
  since?: number
  retryAfter?: number | string
}

/**
 * This host's copy of the state for its web server: the lock file,
 * present exactly while OFFLINE, and the static maintenance page. Not
 * while READ-ONLY: the web server would refuse the reads too. Written
 * when the status or revision changes, or when the lock file has gone
 * missing; nothing is touched while nothing changes.
 */
export class HostMirror {
  #mirrored: MaintenanceState | null = null
  /**
   * One reflect at a time, in the order they were asked for: two states
   * applied back to back must reach the disk in that order too
   */
  #queue: Promise<void> = Promise.resolve()

  constructor(
    protected config: Pick<ResolvedMaintenanceConfig, 'lockFile' | 'staticPage' | 'retryAfter'>,
    protected page: MaintenancePage,
    protected logger?: { warn(message: string): void }
  ) {}

  /**
   * Mirror `state` onto this host
   */
  reflect(state: MaintenanceState): Promise<void> {
    const run = this.#queue.then(() => this.#reflect(state))
    this.#queue = run.catch(() => {})
    return run
  }

  async #reflect(state: MaintenanceState) {
    const previous = this.#mirrored
    const changed = !previous || previous.revision !== state.revision
    const entering = locks(state) && !locks(previous)
    this.#mirrored = state

    /**
     * The page's bodies are prepared for this state by now
     */
    if (entering && this.config.staticPage) {
      const staticPage = this.config.staticPage
      try {
        await mkdir(dirname(staticPage), { recursive: true })
        await writeAtomic(staticPage, this.page.html(state), PUBLIC_FILE)
      } catch (error) {
        this.logger?.warn(
          `site-maintenance: cannot write the static page (${(error as Error).message})`
        )
      }
    }

    const lockFile = this.config.lockFile
    if (!lockFile) return
    if (locks(state)) {
      if (changed || !(await exists(lockFile))) await this.#writeLock(lockFile, state)
    } else if (changed) {
      await rm(lockFile, { force: true })
    }
  }

  /**
   * Forget what was mirrored, so the next reflect() writes again
   */
  reset() {
    this.#mirrored = null
  }

  async #writeLock(lockFile: string, state: MaintenanceState) {
    await mkdir(dirname(lockFile), { recursive: true })
    const contents = JSON.stringify({
      since: new Date(state.since).toISOString(),
      retryAfter: state.retryAfter ?? this.config.retryAfter,
    })
    await writeAtomic(lockFile, contents + '\n', PUBLIC_FILE)
  }

  /**
   * What this host's lock file says: null when absent (or turned off); an
   * unreadable or damaged one still says OFFLINE
   */
  async evidence(): Promise<LockFileEvidence | null> {
    const lockFile = this.config.lockFile
    if (!lockFile) return null
    let contents: string
    try {
      contents = await readFile(lockFile, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
      return {}
    }
    try {
      const value = JSON.parse(contents)
      const since = Date.parse(value?.since)
      const retryAfter = value?.retryAfter
      return {
        since: Number.isNaN(since) ? undefined : since,
        retryAfter:
          typeof retryAfter === 'number' || typeof retryAfter === 'string' ? retryAfter : undefined,
      }
    } catch {
      return {}
    }
  }
}

/**
 * Whether the web server answers by itself in this state: OFFLINE, but
 * not READ-ONLY (the snippets only test that the lock file exists)
 */
function locks(state: MaintenanceState | null) {
  return state !== null && state.status === 'offline' && !state.readOnly
}

async function exists(path: string) {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
