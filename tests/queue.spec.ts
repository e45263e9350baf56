/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { getActiveTest, test } from '@japa/runner'
import { QueueManager, QueueSchemaService } from '@adonisjs/queue'
import { redis as redisAdapter } from '@boringnode/queue/drivers/redis_adapter'
import { knex as knexAdapter } from '@boringnode/queue/drivers/knex_adapter'
import { Redis } from 'ioredis'
import { LoggerFactory } from '@adonisjs/core/factories/logger'
import type { ApplicationService } from '@adonisjs/core/types'
import { MaintenanceManager } from '../src/maintenance_manager.ts'
import { QueueGate } from '../src/queue/queue_gate.ts'
import { FileStore } from '../src/stores/file.ts'
import { resolveConfig } from '../support/resolve_config.ts'
import { createFixtureApp, type FixtureApp, type RunningAce } from './fixture_app.ts'
import { createDatabase, makeTempDir } from './helpers.ts'
import type { DatabaseName } from '../support/database.ts'
import ReportJob from './fixtures/app/app/jobs/report_job.ts'
import StatusMailJob from './fixtures/app/app/jobs/status_mail_job.ts'

/**
 * @adonisjs/queue's drivers: Redis, and the database driver on each database
 */
const DRIVERS = ['redis', 'database on pg', 'database on mysql', 'database on sqlite'] as const
type Driver = (typeof DRIVERS)[number]

/**
 * The fixture app with @adonisjs/queue on `driver` (its maintenance store
 * on the same backend: Redis, or the same database), a queue of this
 * test's own, and a dispatcher in this process
 */
async function queueApp(driver: Driver) {
  const connection = driver === 'redis' ? null : (driver.split(' ').at(-1) as DatabaseName)
  const app: FixtureApp = await createFixtureApp(connection ?? 'redis')
  const dir = await makeTempDir()
  const name = `maint_${process.pid}_${randomBytes(4).toString('hex')}`
  const env: Record<string, string> = {
    FIXTURE_QUEUE: connection ? 'database' : 'redis',
    FIXTURE_QUEUE_NAME: name,
  }

  if (connection === null) {
    /**
     * As @adonisjs/queue's redis driver uses the app's connection: no key prefix
     */
    const redis = new Redis({ host: '127.0.0.1', port: 6379, keyPrefix: '' })
    await QueueManager.init({ default: 'test', adapters: { test: redisAdapter(redis) } })
    getActiveTest()?.cleanup(async () => {
      await QueueManager.destroy()
      const keys = await redis.keys(`jobs::${name}*`)
      if (keys.length) await redis.del(...keys)
      redis.disconnect()
    })
  } else {
    const db = createDatabase(connection)
    const client = db.connection(connection).getWriteClient()
    const table = `queue_jobs_${name}`
    const schema = new QueueSchemaService(client)
    await schema.createJobsTable(table)
    if (!(await client.schema.hasTable('queue_schedules'))) {
      await schema.createSchedulesTable().catch(() => {})
    }
    env.FIXTURE_QUEUE_TABLE = table
    await QueueManager.init({ default: 'test', adapters: { test: knexAdapter(client, table) } })
    getActiveTest()?.cleanup(async () => {
      await QueueManager.destroy()
      await schema.dropJobsTable(table)
    })
  }

  const journal = async () => {
    const text = await readFile(join(dir, 'journal'), 'utf8').catch(() => '')
    return text.split('\n').filter(Boolean)
  }
  const count = async (event: 'started' | 'finished', id: string) => {
    const lines = await journal()
    return lines.filter((line) => line.startsWith(`${event} `) && line.includes(` ${id} `)).length
  }
  const status = async () => {
    const state = await app.store.read()
    return state?.status
  }

  return {
    app,
    env,
    ace: (args: string[]) => app.ace(args, env),
    spawnAce: (args: string[]) => app.spawnAce(args, env),
    async startWorker(): Promise<RunningAce> {
      const worker = app.spawnAce(['queue:work', `--queue=${name},${name}-status`], env)
      await worker.waitForOutput(/Starting worker for queues/, 30_000)
      return worker
    },
    dispatch(job: typeof ReportJob | typeof StatusMailJob, id: string, hold = false) {
      const queue = job === StatusMailJob ? `${name}-status` : name
      return job.dispatch({ dir, id, hold }).toQueue(queue).run()
    },
    release: (id: string) => writeFile(join(dir, `release-${id}`), ''),
    journal,
    count,
    async waitFor(event: 'started' | 'finished', id: string, timeout = 20_000) {
      const end = Date.now() + timeout
      while (Date.now() < end) {
        if ((await count(event, id)) > 0) return
        await sleep(50)
      }
      const lines = await journal()
      throw new Error(`job ${id} never ${event}; journal:\n${lines.join('\n')}`)
    },
    status,
    async waitForStatus(wanted: string, timeout = 20_000) {
      const end = Date.now() + timeout
      while (Date.now() < end) {
        if ((await status()) === wanted) return
        await sleep(50)
      }
      throw new Error(`the site never became ${status}`)
    },
  }
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

test.group('Queue workers during maintenance', () => {
  test('{$self}: a job running when offline:on starts finishes, and the drain waits for it')
    .with([...DRIVERS])
    .run(async ({ assert }, driver) => {
      const queue = await queueApp(driver)
      await queue.startWorker()
      await queue.dispatch(ReportJob, 'running', true)
      await queue.waitFor('started', 'running')

      const on = queue.spawnAce(['offline:on', '--timeout=2m'])
      await on.waitForOutput(/1 job in flight/, 30_000)
      const status = await queue.ace(['offline:status', '--json'])
      const reading = JSON.parse(status.stdout)
      assert.equal(reading.status, 'pending')
      assert.equal(reading.jobsInFlight, 1)
      assert.equal(reading.runningTasks, 0, 'a job is not a CommandTask')

      await sleep(1000)
      assert.isNull(on.child.exitCode, 'offline:on still waits for the job')
      assert.equal(await queue.count('finished', 'running'), 0)

      await queue.release('running')
      const result = await on.done
      assert.equal(result.code, 0, result.stdout + result.stderr)
      assert.equal(await queue.count('finished', 'running'), 1)
      assert.equal(await queue.status(), 'offline')
      assert.lengthOf(await queue.app.store.runningTasks(Date.now()), 0, 'the slot is released')
    })
    .timeout(120_000)

  test('{$self}: a job enqueued during PENDING runs after offline:off, exactly once')
    .with([...DRIVERS])
    .run(async ({ assert }, driver) => {
      const queue = await queueApp(driver)
      await queue.startWorker()
      await queue.dispatch(ReportJob, 'holder', true)
      await queue.waitFor('started', 'holder')

      const on = await queue.ace(['offline:on', '--no-wait', '--timeout=2m'])
      assert.equal(on.code, 0, on.stdout + on.stderr)
      assert.equal(await queue.status(), 'pending')
      await queue.dispatch(ReportJob, 'late')

      /**
       * The worker polls every 100ms: many chances to take it
       */
      await sleep(1500)
      assert.equal(await queue.count('started', 'late'), 0, 'not taken while PENDING')

      await queue.release('holder')
      await queue.waitFor('finished', 'holder')
      await queue.waitForStatus('offline')
      await sleep(1500)
      assert.equal(await queue.count('started', 'late'), 0, 'not taken while OFFLINE')

      const off = await queue.ace(['offline:off'])
      assert.equal(off.code, 0, off.stdout + off.stderr)
      await queue.waitFor('finished', 'late')
      await sleep(1500)
      assert.equal(await queue.count('started', 'late'), 1, 'ran exactly once')
      assert.equal(await queue.count('started', 'holder'), 1, 'the held job ran once')
    })
    .timeout(120_000)

  test('{$self}: a job class that opts out runs while OFFLINE')
    .with([...DRIVERS])
    .run(async ({ assert }, driver) => {
      const queue = await queueApp(driver)
      const worker = await queue.startWorker()
      const on = await queue.ace(['offline:on'])
      assert.equal(on.code, 0, on.stdout + on.stderr)
      assert.equal(await queue.status(), 'offline')

      await queue.dispatch(ReportJob, 'report')
      await queue.dispatch(StatusMailJob, 'mail')
      await queue.waitFor('finished', 'mail')
      await sleep(1000)
      assert.equal(await queue.count('started', 'report'), 0, 'the ordinary job waits')

      /**
       * A worker stopped during maintenance stops at once: it holds
       * nothing, and the waiting job is still queued for the next one
       */
      worker.child.kill('SIGTERM')
      const stopped = await Promise.race([worker.done, sleep(15_000).then(() => null)])
      assert.isNotNull(stopped, `the worker did not stop:\n${worker.output()}`)

      const off = await queue.ace(['offline:off'])
      assert.equal(off.code, 0, off.stdout + off.stderr)
      await queue.startWorker()
      await queue.waitFor('finished', 'report')
      assert.equal(await queue.count('started', 'report'), 1)
    })
    .timeout(120_000)
})

test.group('Queue gate', () => {
  test('starts the state sync on the first pop, and never again once the app stopped it', async ({
    assert,
  }) => {
    const store = new FileStore(join(await makeTempDir(), 'state'))
    const manager = new MaintenanceManager(await resolveConfig(store))
    const logger = new LoggerFactory().create()
    const bindings: Record<string, unknown> = { 'maintenance.manager': manager, 'logger': logger }
    const app = { container: { make: async (name: string) => bindings[name] } }
    const gate = new QueueGate()
    await gate.attach(app as unknown as ApplicationService)

    assert.isFalse(manager.sync.running)
    assert.isTrue(await gate.mayTake('default'))
    assert.isTrue(manager.sync.running, 'the first pop starts it')

    /**
     * SIGTERM: the provider's shutdown stops the manager while the worker
     * still makes a pop or two before it stops
     */
    await manager.stop()
    assert.isTrue(await gate.mayTake('default'))
    assert.isFalse(manager.sync.running, 'a pop after the shutdown does not start it again')
  })
})
