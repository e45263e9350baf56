/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { configProvider } from '@adonisjs/core'
import type { QueueConfig } from '@adonisjs/queue/types'
import { QueueGate } from './queue_gate.ts'

export type { JobMaintenancePolicy } from './queue_gate.ts'

/**
 * Marks a queue config wrapped by `holdDuringMaintenance`: the provider
 * reads it to show "jobs in flight" in the census of every process
 */
export const HELD_QUEUE_CONFIG = Symbol.for('site-maintenance.queue')

/**
 * Wrap the `config/queue.ts` of @adonisjs/queue so its workers hold still
 * during maintenance: while the site is PENDING or OFFLINE a worker takes
 * no new job (the jobs stay queued) and finishes those it holds, which
 * the drain waits for; ONLINE again, it resumes by itself. A job class
 * with `static maintenance = 'run'` on a queue of its own keeps running.
 *
 * ```ts
 * export default defineConfig(holdDuringMaintenance({ default: 'redis', adapters: {…} }))
 * ```
 *
 * Dispatching is untouched: jobs can be queued in any state.
 */
export function holdDuringMaintenance<Config extends QueueConfig>(config: Config): Config {
  const gate = new QueueGate(config.locations)
  const adapters = Object.fromEntries(
    Object.entries(config.adapters).map(([name, adapter]) => [
      name,
      configProvider.create(async (app) => {
        const factory = typeof adapter === 'function' ? adapter : await adapter.resolver(app)
        await gate.attach(app)
        return () => gate.wrap(factory())
      }),
    ])
  )
  const inner = config.executionWrapper
  const onShutdownSignal = config.worker?.onShutdownSignal
  const held: Config = {
    ...config,
    adapters,
    worker: {
      ...config.worker,
      onShutdownSignal: async () => {
        gate.stopping()
        await onShutdownSignal?.()
      },
    },
    executionWrapper: (run, job, queue) =>
      gate.execute(() => (inner ? inner(run, job, queue) : run()), job, queue),
  }
  Object.defineProperty(held, HELD_QUEUE_CONFIG, { value: true })
  return held
}
