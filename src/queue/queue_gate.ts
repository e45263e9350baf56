/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { glob } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { ApplicationService } from '@adonisjs/core/types'
import type { AcquiredJob, Adapter } from '@adonisjs/queue/types'
import debug from '../debug.ts'
import type { MaintenanceManager } from '../maintenance_manager.ts'
import type { MaintenanceState } from '../types.ts'
import { JobsInFlight } from './jobs_in_flight.ts'

type Logger = { warn(message: string): void; info(message: string): void }

/**
 * What a job class may declare: `static maintenance = 'run'` keeps it
 * running while the site is PENDING or OFFLINE
 */
export type JobMaintenancePolicy = 'hold' | 'run'

type JobClassLike = Function & {
  maintenance?: JobMaintenancePolicy
  options?: { name?: string; queue?: string }
}

function runsDuringMaintenance(JobClass: unknown) {
  return (JobClass as JobClassLike | undefined)?.maintenance === 'run'
}

/**
 * Holds a queue worker still while the site is PENDING or OFFLINE.
 *
 * A worker takes jobs by popping them from its adapter; the gate answers
 * "nothing to take" instead while the site is not ONLINE, so the jobs
 * stay in the queue, untouched, and the worker idles until the state
 * turns ONLINE again (read from memory: the state sync of this process
 * keeps it fresh). Jobs the worker holds already run to their end and are
 * counted as jobs in flight, which the drain waits for.
 *
 * A worker pops a queue's jobs in order and cannot skip one, and
 * @boringnode/queue 0.6 has no way to hand a popped job back unchanged
 * (a retry counts an attempt; a stalled job is recovered once, then
 * deleted). So a job class that opts out (`static maintenance = 'run'`)
 * keeps running through a queue of its own: while the site is down the
 * gate still pops the queues whose every job class opts out.
 *
 * The state in memory may lag behind a switch (up to `refreshInterval`
 * when a notification is lost), so a pop may take a job just after the
 * site went down. A counted job therefore reads the state from the store
 * once more, after its slot is recorded and before it runs: one read per
 * job. ONLINE, it runs (a drain that starts later counts its slot); not
 * ONLINE, its slot is freed and the job waits in the worker, still active
 * in the queue (the worker renews it, nobody else takes it, no attempt is
 * counted), reading the store once a second until it says ONLINE, then
 * it checks again with its slot recorded. A worker stopped meanwhile hands it back to the
 * queue (`retryJob`, which counts an attempt) and stops at once.
 */
export class QueueGate {
  #manager: MaintenanceManager | null = null
  #logger: Logger | undefined
  #jobs: JobsInFlight | null = null
  #locations: string[]
  #openQueues: Promise<Set<string>> | null = null
  /**
   * This process's state sync, started by the first pop and never again:
   * once the app shuts down (SIGTERM) its provider stops the sync, and a
   * pop the worker makes meanwhile must not start it anew (a new LISTEN
   * connection would keep the process alive)
   */
  #syncStart: Promise<void> | null = null
  #locator: { get(name: string): unknown } | null = null
  /**
   * Which adapter popped each job not executed yet: a held job is handed
   * back to it when the worker stops
   */
  #poppedBy = new Map<string, Adapter>()
  #stopping = false
  #wake = new Set<() => void>()

  constructor(locations: string[] = []) {
    this.#locations = locations
  }

  /**
   * Take the app's manager; called when the queue resolves an adapter
   */
  async attach(app: ApplicationService) {
    if (this.#manager) return
    const manager = await app.container.make('maintenance.manager')
    const logger = await app.container.make('logger')
    const { Locator } = await import('@adonisjs/queue')
    this.#locator = Locator as { get(name: string): unknown }
    this.#logger = logger
    this.#jobs = new JobsInFlight(manager, logger)
    this.#manager = manager
  }

  /**
   * The adapter, with its pops held while the site is not ONLINE
   */
  wrap(adapter: Adapter): Adapter {
    const gate = this
    return new Proxy(adapter, {
      get(target, property) {
        if (property === 'popFrom') {
          return async (queue: string) =>
            (await gate.mayTake(queue)) ? gate.#popped(target, await target.popFrom(queue)) : null
        }
        if (property === 'pop') {
          return async () =>
            (await gate.mayTake('default')) ? gate.#popped(target, await target.pop()) : null
        }
        if (property === 'destroy') {
          return async () => {
            await gate.close()
            await target.destroy()
          }
        }
        /**
         * The adapters keep their connection in private fields: their
         * methods run on the adapter itself, not on the proxy
         */
        const value = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  /**
   * Whether the worker may take a job from `queue` now. The first call
   * starts this process's state sync (a worker runs no HTTP server, so
   * the provider's ready hook does not); later ones never restart it.
   */
  async mayTake(queue: string) {
    const manager = this.#manager
    if (!manager) return true
    this.#syncStart ??= (manager.sync.running ? Promise.resolve() : manager.sync.start()).catch(
      (error) => {
        this.#syncStart = null
        throw error
      }
    )
    await this.#syncStart
    if (manager.isOnline) return true
    const open = await this.#openQueuesOnce()
    const taken = open.has(queue)
    debug('queue %s while %s: %s', queue, manager.status, taken ? 'taken (opted out)' : 'held')
    return taken
  }

  #popped(adapter: Adapter, job: AcquiredJob | null) {
    if (job && this.#manager) this.#poppedBy.set(job.id, adapter)
    return job
  }

  /**
   * The executionWrapper: a job that opted out runs uncounted; any other
   * one is counted while it runs, and runs only once the store says the
   * site is ONLINE (see the class comment)
   */
  async execute<T>(run: () => Promise<T>, job: AcquiredJob, queue: string): Promise<T> {
    const manager = this.#manager
    const jobs = this.#jobs
    const adapter = this.#poppedBy.get(job.id)
    this.#poppedBy.delete(job.id)
    if (!manager || !jobs) return run()
    const JobClass = this.#locator?.get(job.name)
    if (runsDuringMaintenance(JobClass)) return run()
    for (let logged = false; ; logged = true) {
      const outcome = await jobs.track(async () => {
        const held = await this.#heldBy(job, queue)
        return held ? { held } : { held: null, value: await run() }
      })
      if (outcome.held === null) return outcome.value
      await jobs.release()
      if (!logged) {
        this.#logger?.info(
          `site-maintenance: job ${job.name} (${job.id}) was taken as the site went ${outcome.held.status.toUpperCase()}: it waits in the worker until the site is ONLINE`
        )
      }
      if (!(await this.#waitForOnline(job))) {
        await this.#handBack(adapter, job, queue)
        return undefined as T
      }
    }
  }

  /**
   * The state, read from the store, that holds `job` back; null when it
   * may run. The in-memory state stands in when the store cannot be read
   * (the queue must not fail because of maintenance).
   */
  async #heldBy(job: AcquiredJob, queue: string): Promise<Readonly<MaintenanceState> | null> {
    const state = await this.#readState(job)
    if (!state) return null
    const open = await this.#openQueuesOnce()
    if (!open.has(queue)) return state
    this.#logger?.warn(
      `site-maintenance: job ${job.name} (${job.id}) runs during maintenance: it was dispatched onto queue "${queue}", whose jobs opt out, but does not opt out itself`
    )
    return null
  }

  /**
   * The state from the store, null when ONLINE; the one in memory when
   * the store cannot be read
   */
  async #readState(job: AcquiredJob): Promise<Readonly<MaintenanceState> | null> {
    const manager = this.#manager!
    let state: Readonly<MaintenanceState> | null
    try {
      state = await manager.store.read()
    } catch (error) {
      debug('cannot read the state for job %s: %O', job.id, error)
      state = manager.state
    }
    return !state || state.status === 'online' ? null : state
  }

  /**
   * Wait until the store says ONLINE, read at most once a second (the
   * copy in memory may be the stale one that let the job be taken). False
   * when the worker stops first.
   */
  async #waitForOnline(job: AcquiredJob) {
    const interval = Math.min(Math.max(this.#manager!.config.refreshInterval, 100), 1000)
    while (!this.#stopping) {
      await new Promise<void>((done) => {
        const wake = () => {
          clearTimeout(timer)
          this.#wake.delete(wake)
          done()
        }
        const timer = setTimeout(wake, interval)
        this.#wake.add(wake)
      })
      if (this.#stopping) return false
      if ((await this.#readState(job)) === null) return true
    }
    return false
  }

  /**
   * The worker stops while `job` waits: back into its queue, so the next
   * worker runs it. A job left active instead would come back only as a
   * stalled job, which the queue recovers once and then deletes.
   */
  async #handBack(adapter: Adapter | undefined, job: AcquiredJob, queue: string) {
    try {
      if (!adapter) throw new Error('no adapter popped it')
      await adapter.retryJob(job.id, queue)
      this.#logger?.info(
        `site-maintenance: the worker stops: job ${job.name} (${job.id}) is back in queue "${queue}" (counted as an attempt)`
      )
    } catch (error) {
      this.#logger?.warn(
        `site-maintenance: the worker stops, and job ${job.name} (${job.id}) could not be put back in queue "${queue}" (${(error as Error).message}): the queue recovers it as a stalled job`
      )
    }
  }

  /**
   * The worker received its shutdown signal: the jobs that wait go back
   * to their queue, so it stops at once
   */
  stopping() {
    this.#stopping = true
    for (const wake of [...this.#wake]) wake()
  }

  /**
   * The worker stopped: its jobs-in-flight rows are finished
   */
  async close() {
    await this.#jobs?.close()
  }

  /**
   * The queues whose job classes all opt out, from the job files of the
   * queue config's `locations` (the modules the worker loaded already).
   * A class that opts out on a queue shared with others is reported: it
   * waits like them.
   */
  #openQueuesOnce() {
    this.#openQueues ??= (async () => {
      const queues = new Map<string, { run: string[]; hold: string[] }>()
      for (const pattern of this.#locations) {
        for await (const file of glob(pattern)) {
          try {
            const module = await import(`file://${resolve(file)}`)
            const JobClass = module.default as JobClassLike
            if (typeof JobClass !== 'function') continue
            const queue = JobClass.options?.queue ?? 'default'
            const entry = queues.get(queue) ?? { run: [], hold: [] }
            const name = JobClass.options?.name ?? JobClass.name
            ;(runsDuringMaintenance(JobClass) ? entry.run : entry.hold).push(name)
            queues.set(queue, entry)
          } catch (error) {
            debug('cannot read job file %s: %O', file, error)
          }
        }
      }
      const open = new Set<string>()
      for (const [queue, { run, hold }] of queues) {
        if (run.length && !hold.length) open.add(queue)
        if (run.length && hold.length) {
          this.#logger?.warn(
            `site-maintenance: ${run.join(', ')} opt${run.length === 1 ? 's' : ''} out of maintenance but share${run.length === 1 ? 's' : ''} queue "${queue}" with ${hold.join(', ')}: a worker takes a queue's jobs in order, so they wait like the others. Give them a queue of their own.`
          )
        }
      }
      return open
    })()
    return this.#openQueues
  }
}
