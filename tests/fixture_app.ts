/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { join } from 'node:path'
import { getActiveTest } from '@japa/runner'
import { FileStore } from '../src/stores/file.ts'
import { DatabaseStore } from '../src/stores/database.ts'
import { RedisStore } from '../src/stores/redis.ts'
import type { MaintenanceStoreContract } from '../src/types.ts'
import {
  type StoreName,
  connections,
  createDatabase,
  createRedis,
  createTables,
  makeTempDir,
} from './helpers.ts'
import {
  type AceResult,
  type RunningAce,
  type RunningServer,
  fixtureEnv,
  spawnAce as spawnFixtureAce,
  startServer as startFixtureServer,
} from '../support/fixture_processes.ts'

export {
  FIXTURE_ROOT,
  type AceResult,
  type AppCounters,
  type RunningAce,
  type RunningServer,
} from '../support/fixture_processes.ts'

/**
 * The fixture app wired to one store, plus a store instance on the same
 * backend so tests can seed and inspect the census directly
 */
export interface FixtureApp {
  env: Record<string, string>
  store: MaintenanceStoreContract
  lockFile: string
  directory: string
  /**
   * `input`, when given, is piped to the command's stdin (else stdin is
   * /dev/null, as in a script run without a terminal)
   */
  ace(args: string[], extraEnv?: Record<string, string>, input?: string): Promise<AceResult>
  spawnAce(args: string[], extraEnv?: Record<string, string>, input?: string): RunningAce
}

export async function createFixtureApp(name: StoreName): Promise<FixtureApp> {
  const directory = await makeTempDir()
  const lockFile = join(directory, 'down')
  const env = fixtureEnv(directory, name === 'file' || name === 'redis' ? name : 'database')

  let store: MaintenanceStoreContract
  if (name === 'file') {
    store = new FileStore(env.MAINTENANCE_DIR)
  } else if (name === 'redis') {
    const { redis, prefix } = createRedis()
    env.REDIS_PREFIX = prefix
    store = new RedisStore(redis as any, { prefix })
  } else {
    const db = createDatabase(name)
    const prefix = `maint_${process.pid}`
    const tables = await createTables(db, name, prefix)
    env.DB_CONNECTION = name
    env.MAINTENANCE_TABLE_PREFIX = prefix
    env.SQLITE_FILE = connections.sqlite.connection.filename
    store = new DatabaseStore(db.connection(name), {
      stateTable: tables.state,
      sessionsTable: tables.sessions,
      tasksTable: tables.tasks,
    })
  }

  const spawnAce = (
    args: string[],
    extraEnv: Record<string, string> = {},
    input?: string
  ): RunningAce =>
    spawnFixtureAce(
      env,
      args,
      extraEnv,
      (child) => {
        getActiveTest()?.cleanup(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        })
      },
      input
    )

  return {
    env,
    store,
    lockFile,
    directory,
    spawnAce,
    ace: (args, extraEnv, input) => spawnAce(args, extraEnv, input).done,
  }
}

/**
 * Start the fixture app's HTTP server (bin/server.ts, as the starter kits
 * do) on a free loopback port, and wait until the app is ready: its
 * providers' ready() hooks, the maintenance state refresh included, ran.
 * Stopped after the test.
 */
export function startServer(
  app: FixtureApp,
  extraEnv: Record<string, string> = {},
  timeout = 20_000
): Promise<RunningServer> {
  return startFixtureServer(app.env, extraEnv, timeout, {
    track: (stop) => getActiveTest()?.cleanup(stop),
  })
}
