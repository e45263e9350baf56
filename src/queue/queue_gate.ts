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
            (await gate.mayTake(queue)) ? target.popFrom(queue) : null
        }
        if (property === 'pop') {
          return async () => ((await gate.mayTake('default')) ? target.pop() : null)
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

  /**
   * The executionWrapper: a job that opted out runs uncounted; any other
   * one is counted while it runs
   */
  async execute<T>(run: () => Promise<T>, job: AcquiredJob, queue: string): Promise<T> {
    const manager = this.#manager
    if (!manager || !this.#jobs) return run()
    const JobClass = this.#locator?.get(job.name)
    if (runsDuringMaintenance(JobClass)) return run()
    const open = manager.isOnline ? null : await this.#openQueuesOnce()
    if (open?.has(queue)) {
      this.#logger?.warn(
        `site-maintenance: job ${job.name} (${job.id}) runs during maintenance: it was dispatched onto queue "${queue}", whose jobs opt out, but does not opt out itself`
      )
    }
    return this.#jobs.track(run)
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
