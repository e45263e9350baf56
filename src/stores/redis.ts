/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { RedisService } from '@adonisjs/redis/types'
import * as errors from '../errors.ts'
import { guardStore } from './guard_store.ts'
import { parseState } from '../state.ts'
import type {
  MaintenanceState,
  MaintenanceStoreContract,
  RawStateRecord,
  RedisStoreOptions,
  TaskRecord,
} from '../types.ts'

/**
 * Compare-and-set of the state hash, then a publish so every instance
 * re-reads at once. One script, so the check and the write are atomic.
 */
const COMPARE_AND_SET = `
local current = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if current ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'revision', ARGV[3], 'data', ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[3])
return 1
`

/**
 * The same write over a corrupt record, only while it is still the same
 */
const REPLACE_CORRUPT = `
if redis.call('HGET', KEYS[1], 'data') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'revision', ARGV[3], 'data', ARGV[1])
redis.call('PUBLISH', KEYS[2], ARGV[3])
return 1
`

type Connection = ReturnType<RedisService['connection']>

/**
 * Redis store: a hash for the state, sorted sets scored by expiry for the
 * census, and a pub/sub channel announcing every state write.
 */
export class RedisStore implements MaintenanceStoreContract {
  readonly name = 'redis'
  #connection: Connection
  #keys: {
    state: string
    channel: string
    sessions: string
    loggedOut: string
    tasks: string
    live: string
  }
  #subscribed = false

  constructor(redis: RedisService, options: RedisStoreOptions = {}) {
    this.#connection = options.connection
      ? redis.connection(options.connection as any)
      : redis.connection()
    const prefix = options.prefix ?? 'site_maintenance'
    this.#keys = {
      state: `${prefix}:state`,
      channel: `${prefix}:changes`,
      sessions: `${prefix}:sessions`,
      loggedOut: `${prefix}:sessions:logged_out`,
      tasks: `${prefix}:tasks`,
      live: `${prefix}:tasks:live`,
    }
  }

  #guard<T>(work: () => Promise<T>): Promise<T> {
    return guardStore(this.name, work)
  }

  async read(): Promise<MaintenanceState | null> {
    const data = await this.#guard(() => this.#connection.hget(this.#keys.state, 'data'))
    if (data === null) return null
    return parseState(data, `redis key "${this.#keys.state}"`)
  }

  async compareAndSet(next: MaintenanceState, expectedRevision: number) {
    return this.#write(COMPARE_AND_SET, next, String(expectedRevision))
  }

  async readRaw(): Promise<RawStateRecord | null> {
    const [revision, data] = await this.#guard(() =>
      this.#connection.hmget(this.#keys.state, 'revision', 'data')
    )
    if (data === null) return null
    const number = Number(revision)
    return { data, revision: Number.isSafeInteger(number) && number > 0 ? number : 0 }
  }

  async replaceCorrupt(next: MaintenanceState, record: RawStateRecord) {
    return this.#write(REPLACE_CORRUPT, next, record.data)
  }

  /**
   * Runs one of the two write scripts: the new state, then what the
   * stored record must still be (its revision, or its data)
   */
  async #write(script: string, next: MaintenanceState, expected: string) {
    const result = await this.#guard(() =>
      this.#connection.eval(
        script,
        2,
        this.#keys.state,
        this.#keys.channel,
        JSON.stringify(next),
        expected,
        String(next.revision)
      )
    )
    return Number(result) === 1
  }

  async touchSession(key: string, _userId: string | number | null, expiresAt: number) {
    await this.#guard(() => this.#connection.zadd(this.#keys.sessions, expiresAt, key))
  }

  async dropSession(key: string, loggedOutUntil?: number) {
    await this.#guard(async () => {
      await this.#connection.zrem(this.#keys.sessions, key)
      if (loggedOutUntil !== undefined) {
        await this.#connection.zadd(this.#keys.loggedOut, loggedOutUntil, key)
      }
    })
  }

  async loggedOutSessions(now: number) {
    return this.#guard(async () => {
      await this.#connection.zremrangebyscore(this.#keys.loggedOut, '-inf', now)
      return this.#connection.zrangebyscore(this.#keys.loggedOut, `(${now}`, '+inf')
    })
  }

  /**
   * ZCOUNT costs O(log n) whatever the count: the cap only bounds the result
   */
  async countSessions(now: number, cap: number = Infinity) {
    return this.#guard(async () => {
      await this.#connection.zremrangebyscore(this.#keys.sessions, '-inf', now)
      return Math.min(cap, await this.#connection.zcount(this.#keys.sessions, `(${now}`, '+inf'))
    })
  }

  async registerTask(task: TaskRecord) {
    await this.#guard(async () => {
      await this.#connection.hset(this.#keys.tasks, task.id, JSON.stringify(task))
      await this.#connection.zadd(this.#keys.live, task.expiresAt, task.id)
    })
  }

  async #update(id: string, update: Partial<TaskRecord>) {
    const current = await this.#connection.hget(this.#keys.tasks, id)
    if (!current) return null
    const task = { ...(JSON.parse(current) as TaskRecord), ...update }
    await this.#connection.hset(this.#keys.tasks, id, JSON.stringify(task))
    return task
  }

  async heartbeatTask(id: string, heartbeatAt: number, expiresAt: number) {
    await this.#guard(async () => {
      const task = await this.#update(id, { heartbeatAt, expiresAt })
      if (task?.status === 'running') {
        await this.#connection.zadd(this.#keys.live, 'XX', expiresAt, id)
      }
    })
  }

  async finishTask(id: string, status: 'finished' | 'failed', finishedAt: number) {
    await this.#guard(async () => {
      await this.#update(id, { status, finishedAt })
      await this.#connection.zrem(this.#keys.live, id)
    })
  }

  async runningTasks(now: number) {
    return this.#guard(async () => {
      const ids = await this.#connection.zrangebyscore(this.#keys.live, `(${now}`, '+inf')
      if (!ids.length) return []
      const rows = await this.#connection.hmget(this.#keys.tasks, ...ids)
      return rows
        .filter((row): row is string => row !== null)
        .map((row) => JSON.parse(row) as TaskRecord)
        .filter((task) => task.status === 'running')
    })
  }

  /**
   * Every instance re-reads the state as soon as any of them writes it
   */
  async subscribe(listener: () => void) {
    await new Promise<void>((resolve, reject) => {
      this.#connection.subscribe(this.#keys.channel, () => listener(), {
        onSubscription: () => resolve(),
        onError: (error: Error) =>
          reject(new errors.E_STORE_UNAVAILABLE([this.name, error.message])),
      })
    })
    this.#subscribed = true
  }

  async close() {
    if (this.#subscribed) {
      await this.#connection.unsubscribe(this.#keys.channel)
      this.#subscribed = false
    }
  }
}
