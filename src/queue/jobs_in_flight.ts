/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomUUID } from 'node:crypto'
import debug from '../debug.ts'
import { JOB_TASK_PREFIX } from '../defaults.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import { runningTaskRecord } from '../command_task.ts'
import { SerialRuns } from '../serial_runs.ts'

type Logger = { warn(message: string): void }

/**
 * How long a slot stays recorded after its job ended: a job that takes
 * the slot meanwhile (a busy worker refills at once) costs no write
 */
const RELEASE_GRACE = 500

/**
 * The jobs a worker process is running, recorded in the census as task
 * rows so the drain waits for them. One row per slot of concurrency, not
 * per job: the stores keep finished rows, and a row per job would grow
 * them by every job the queue ever ran. A slot's row is live (its
 * `expiresAt` ahead, renewed like a CommandTask's heartbeat) while a job
 * holds the slot, and parked (`expiresAt` 0, which no census counts)
 * while it is free. A worker that crashes stops renewing: its rows expire
 * after `taskTimeout`, as a crashed CommandTask's do.
 */
export class JobsInFlight {
  #slots: { id: string; registered: boolean; live: boolean }[] = []
  #count = 0
  #worker = randomUUID().slice(0, 8)
  /**
   * One write at a time; `renew` applies to a write that a call starts
   */
  #writes = new SerialRuns(() => {
    const renew = this.#renew
    this.#renew = false
    return this.#write(renew)
  })
  #renew = false
  #release: NodeJS.Timeout | null = null
  #heartbeat: NodeJS.Timeout | null = null
  #failing = false

  constructor(
    protected manager: MaintenanceManager,
    protected logger?: Logger
  ) {}

  /**
   * Jobs running now in this process
   */
  get count() {
    return this.#count
  }

  /**
   * Run `job` with its slot recorded first: the census sees it before it
   * starts. A store that cannot be written to does not stop the job (the
   * queue must not fail because of maintenance): it is logged once.
   */
  async track<T>(job: () => Promise<T>): Promise<T> {
    this.#count++
    await this.#reconcile()
    try {
      return await job()
    } finally {
      this.#count--
      this.#scheduleRelease()
    }
  }

  /**
   * Park the free slots now instead of after the grace: a job the gate
   * held back does not keep a drain waiting
   */
  async release() {
    if (this.#release) clearTimeout(this.#release)
    this.#release = null
    await this.#reconcile()
  }

  /**
   * Finish every row of this process (the worker stopped)
   */
  async close() {
    if (this.#release) clearTimeout(this.#release)
    if (this.#heartbeat) clearInterval(this.#heartbeat)
    this.#release = this.#heartbeat = null
    await this.#writes.running
    const slots = this.#slots.filter((slot) => slot.registered)
    this.#slots = []
    await Promise.all(
      slots.map((slot) =>
        this.manager.store
          .finishTask(slot.id, 'finished', Date.now())
          .catch((error) => debug('could not finish job slot %s: %O', slot.id, error))
      )
    )
  }

  #scheduleRelease() {
    if (this.#release) return
    this.#release = setTimeout(() => {
      this.#release = null
      this.#reconcile()
    }, RELEASE_GRACE)
    this.#release.unref()
  }

  /**
   * Bring the rows in line with the count: one write at a time, and a
   * change made meanwhile is written by the same run before it settles
   */
  #reconcile(renew = false): Promise<void> {
    if (!this.#writes.running) this.#renew = renew
    return this.#writes.run()
  }

  async #write(renew: boolean) {
    const store = this.manager.store
    const timeout = this.manager.config.taskTimeout
    try {
      while (this.#slots.length < this.#count) {
        this.#slots.push({ id: randomUUID(), registered: false, live: false })
      }
      for (const [index, slot] of this.#slots.entries()) {
        const now = Date.now()
        const busy = index < this.#count
        if (busy && !slot.registered) {
          await store.registerTask(
            runningTaskRecord(
              slot.id,
              `${JOB_TASK_PREFIX}slot ${index + 1} of worker ${this.#worker}`,
              now,
              timeout
            )
          )
          slot.registered = slot.live = true
        } else if (busy && (!slot.live || renew)) {
          await store.heartbeatTask(slot.id, now, now + timeout)
          slot.live = true
        } else if (!busy && slot.live) {
          await store.heartbeatTask(slot.id, now, 0)
          slot.live = false
        }
      }
      this.#failing = false
      this.#startHeartbeat(timeout)
    } catch (error) {
      if (!this.#failing) {
        this.logger?.warn(
          `site-maintenance: cannot record the jobs in flight (${(error as Error).message}); jobs keep running, but the drain may not wait for them`
        )
      }
      this.#failing = true
    }
  }

  /**
   * Renew the live rows three times per timeout, as a CommandTask does
   */
  #startHeartbeat(timeout: number) {
    if (this.#heartbeat) return
    this.#heartbeat = setInterval(
      () => {
        if (this.#slots.some((slot) => slot.live)) this.#reconcile(true)
      },
      Math.max(Math.floor(timeout / 3), 50)
    )
    this.#heartbeat.unref()
  }
}
