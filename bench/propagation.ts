/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisManager } from '@adonisjs/redis'
import { LoggerFactory } from '@adonisjs/core/factories/logger'
import { MaintenanceManager } from '../src/maintenance_manager.ts'
import { DatabaseStore } from '../src/stores/database.ts'
import { FileStore } from '../src/stores/file.ts'
import { RedisStore } from '../src/stores/redis.ts'
import type { MaintenanceStoreContract } from '../src/types.ts'
import { resolveConfig } from '../tests/resolve_config.ts'
import { type AppEnv, AppInstance, ace } from './lib/app.ts'
import { createDatabase, createTables, dropTables, tableNames } from './lib/databases.ts'
import { log, round, sleep, summarise } from './lib/stats.ts'

export const PROPAGATION_STORES = ['file', 'database', 'redis'] as const
export type PropagationStore = (typeof PROPAGATION_STORES)[number]

const INSTANCES = 4
const POLL_EVERY_MS = 5
const POLL_LIMIT_MS = 5000

export interface PropagationResult {
  instances: number
  refresh_interval_ms: number
  /**
   * From `offline:on --force` / `offline:off`, real Ace processes, exiting
   */
  on: Timing
  off: Timing
  /**
   * From calling `manager.activate({ force: true })` /
   * `manager.deactivate()` in the bench process, on the same store (the
   * write included): never clamped, so sub-interval propagation (pub/sub)
   * shows
   */
  api_on: Timing
  api_off: Timing
}

interface Timing {
  median: number
  max: number
  runs: number[]
}

function timing(values: number[]): Timing {
  const summary = summarise(values, 1)
  return {
    median: summary.median,
    max: summary.max,
    runs: values.map((value) => round(value, 1)),
  }
}

/**
 * Whether an instance shows the expected side: 503 (OFFLINE) or 200 on /ping
 */
async function probe(instance: AppInstance, offline: boolean) {
  try {
    const response = await fetch(instance.url('/ping'), { signal: AbortSignal.timeout(2000) })
    await response.arrayBuffer()
    return offline ? response.status === 503 : response.status === 200
  } catch {
    return false
  }
}

/**
 * Poll every instance (one request at a time each, every few ms) from now
 * until it shows the expected side; bounded in time and count
 */
function watch(instances: AppInstance[], offline: boolean) {
  const deadline = performance.now() + POLL_LIMIT_MS + 60_000
  return Promise.all(
    instances.map(async (instance) => {
      for (let attempt = 0; attempt < 20_000 && performance.now() < deadline; attempt++) {
        if (await probe(instance, offline)) return performance.now()
        await sleep(POLL_EVERY_MS)
      }
      throw new Error(`:${instance.port} never showed ${offline ? 'OFFLINE' : 'ONLINE'}`)
    })
  )
}

/**
 * Time from `offline:on --force` (a real Ace process) exiting to the last
 * instance showing OFFLINE, and from `offline:off` exiting to the last one
 * back ONLINE. Polling starts when the command is spawned; an instance
 * that switched before the command exited counts as 0.
 */
async function transition(
  instances: AppInstance[],
  offline: boolean,
  change: () => Promise<number>
) {
  const seen = watch(instances, offline)
  const changedAt = await change()
  const times = await seen
  const last = Math.max(...times)
  if (last - changedAt > POLL_LIMIT_MS) throw new Error('propagation over the poll limit')
  return Math.max(0, last - changedAt)
}

function byCommand(env: AppEnv, offline: boolean) {
  return async () => {
    const result = await ace(offline ? ['offline:on', '--force'] : ['offline:off'], env)
    if (result.code !== 0) throw new Error(`ace failed (${result.code}):\n${result.output}`)
    return result.exitedAt
  }
}

function byManager(manager: MaintenanceManager, offline: boolean) {
  return async () => {
    const calledAt = performance.now()
    await (offline ? manager.activate({ force: true }) : manager.deactivate())
    return calledAt
  }
}

async function backend(store: PropagationStore, directory: string) {
  const env: AppEnv = { MAINTENANCE_STORE: store, MAINTENANCE_DIR: join(directory, 'state') }
  let cleanup = async () => {}
  let instance: MaintenanceStoreContract = new FileStore(env.MAINTENANCE_DIR)
  if (store === 'database') {
    const prefix = `bench_maintenance_prop_${process.pid}`
    const db = createDatabase('pg')
    const names = await createTables(db, 'pg', prefix)
    env.DB_CONNECTION = 'pg'
    env.MAINTENANCE_TABLE_PREFIX = prefix
    instance = new DatabaseStore(db.connection('pg'), {
      stateTable: names.state,
      sessionsTable: names.sessions,
      tasksTable: names.tasks,
    })
    cleanup = async () => {
      await dropTables(db, 'pg', tableNames(prefix))
      await db.manager.closeAll()
    }
  } else if (store === 'redis') {
    const prefix = `site_maintenance_bench:${process.pid}`
    env.REDIS_PREFIX = prefix
    const redis = new RedisManager(
      { connection: 'main', connections: { main: { host: '127.0.0.1', port: 6379 } } } as any,
      new LoggerFactory().create()
    )
    instance = new RedisStore(redis as any, { prefix })
    cleanup = async () => {
      const keys = await redis.connection().keys(`${prefix}:*`)
      if (keys.length) await redis.connection().del(...keys)
      await redis.quitAll()
    }
  }
  const manager = new MaintenanceManager(
    await resolveConfig(instance, { lockFile: join(directory, 'down-bench') })
  )
  return { env, cleanup, manager }
}

export async function propagationOn(
  store: PropagationStore,
  repeats: number,
  basePort: number
): Promise<PropagationResult> {
  const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-bench-'))
  const { env, cleanup, manager } = await backend(store, directory)
  const instances: AppInstance[] = []
  try {
    for (let index = 0; index < INSTANCES; index++) {
      instances.push(
        new AppInstance(basePort + index, {
          ...env,
          /**
           * One lock file and static page per instance, as on separate hosts
           */
          MAINTENANCE_LOCK_FILE: join(directory, `down-${index}`),
          MAINTENANCE_STATIC_PAGE: join(directory, `page-${index}.html`),
        })
      )
    }
    await Promise.all(instances.map((instance) => instance.ready()))
    const commandEnv = {
      ...env,
      MAINTENANCE_LOCK_FILE: join(directory, 'down-ace'),
      MAINTENANCE_STATIC_PAGE: join(directory, 'page-ace.html'),
    }

    const runs = {
      on: [] as number[],
      off: [] as number[],
      apiOn: [] as number[],
      apiOff: [] as number[],
    }
    /**
     * A random pause between transitions, so they do not fall in step
     * with the instances' refresh interval
     */
    const pause = () => sleep(100 + Math.random() * 900)
    for (let run = 0; run < repeats; run++) {
      runs.on.push(await transition(instances, true, byCommand(commandEnv, true)))
      await pause()
      runs.off.push(await transition(instances, false, byCommand(commandEnv, false)))
      await pause()
      runs.apiOn.push(await transition(instances, true, byManager(manager, true)))
      await pause()
      runs.apiOff.push(await transition(instances, false, byManager(manager, false)))
      await pause()
      log(
        `propagation ${store} run ${run + 1}/${repeats}: command on ${round(runs.on.at(-1)!, 1)} ms, off ${round(runs.off.at(-1)!, 1)} ms; api on ${round(runs.apiOn.at(-1)!, 1)} ms, off ${round(runs.apiOff.at(-1)!, 1)} ms`
      )
    }
    return {
      instances: INSTANCES,
      refresh_interval_ms: 1000,
      on: timing(runs.on),
      off: timing(runs.off),
      api_on: timing(runs.apiOn),
      api_off: timing(runs.apiOff),
    }
  } finally {
    await Promise.all(instances.map((instance) => instance.stop()))
    await manager.stop().catch(() => {})
    await cleanup().catch(() => {})
    await rm(directory, { recursive: true, force: true })
  }
}

export async function benchPropagation(quick: boolean) {
  const results: Partial<Record<PropagationStore, PropagationResult>> = {}
  let port = 39100
  for (const store of PROPAGATION_STORES) {
    results[store] = await propagationOn(store, quick ? 3 : 10, port)
    port += 10
    const r = results[store]!
    log(
      `propagation ${store}: on ${r.on.median}/${r.on.max} ms, off ${r.off.median}/${r.off.max} ms (median/max)`
    )
  }
  return results
}
