/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { isAbsolute } from 'node:path'
import { configProvider } from '@adonisjs/core'
import { InvalidArgumentsException, RuntimeException } from '@adonisjs/core/exceptions'
import type { ApplicationService, ConfigProvider } from '@adonisjs/core/types'
import type {} from '@adonisjs/lucid/database_provider'
import type {} from '@adonisjs/redis/redis_provider'
import type {
  DatabaseStoreOptions,
  FileStoreOptions,
  MaintenanceConfig,
  MaintenanceStoreFactory,
  MaintenanceStoreFactoryProvider,
  RedisStoreOptions,
  ResolvedBypassConfig,
  ResolvedMaintenanceConfig,
} from './types.ts'
import { MAX_AHEAD, MAX_TIMER, defaults } from './defaults.ts'
import * as errors from './errors.ts'
import { parseDuration, type DurationLimit } from './options.ts'
import { toMilliseconds } from './time_input.ts'
import { normaliseAllowEntry } from './allow_entry.ts'
import { isCanonical } from './request_path/allowed_paths.ts'

/**
 * Define the config of site-maintenance. Checked at once; the stores are
 * resolved lazily, when the provider asks.
 */
export function defineConfig<KnownStores extends Record<string, MaintenanceStoreFactoryProvider>>(
  config: MaintenanceConfig<KnownStores>
): ConfigProvider<
  ResolvedMaintenanceConfig & { stores: { [K in keyof KnownStores]: MaintenanceStoreFactory } }
> {
  if (!config.stores || typeof config.stores !== 'object') {
    throw new InvalidArgumentsException('Missing "stores" property in "config/maintenance.ts" file')
  }
  if (!config.default) {
    throw new InvalidArgumentsException(
      'Missing "default" property in "config/maintenance.ts" file'
    )
  }
  if (!(config.default in config.stores)) {
    throw new InvalidArgumentsException(
      `"config/maintenance.ts" default store "${String(config.default)}" is not defined in "stores"`
    )
  }

  /**
   * The timers' intervals are bounded by what a timer can wait, the
   * drain's durations by how far ahead a deadline may reach
   */
  const durations = {
    refreshInterval: duration(
      config.refreshInterval ?? defaults.refreshInterval,
      'refreshInterval',
      MAX_TIMER
    ),
    drainTimeout:
      config.drainTimeout === undefined ? null : duration(config.drainTimeout, 'drainTimeout'),
    sessionIdleAge:
      config.sessionIdleAge === undefined
        ? null
        : duration(config.sessionIdleAge, 'sessionIdleAge'),
    presenceInterval: duration(
      config.presenceInterval ?? defaults.presenceInterval,
      'presenceInterval'
    ),
    taskTimeout: duration(config.taskTimeout ?? defaults.taskTimeout, 'taskTimeout', MAX_TIMER),
  }
  const retryAfter = config.retryAfter ?? defaults.retryAfter
  if (!Number.isInteger(retryAfter) || retryAfter < 0 || retryAfter * 1000 > MAX_AHEAD.ms) {
    throw new InvalidArgumentsException(
      `"config/maintenance.ts" retryAfter must be a whole number of seconds, at most ${MAX_AHEAD.label}, not ${JSON.stringify(retryAfter)}`
    )
  }
  let allow: string[]
  try {
    allow = (config.allow ?? []).map((entry) => normaliseAllowEntry(entry))
  } catch (error) {
    throw new InvalidArgumentsException(
      `"config/maintenance.ts" allow: ${(error as Error).message}`
    )
  }
  const onStoreError = config.onStoreError ?? defaults.onStoreError
  if (onStoreError !== 'last-known' && onStoreError !== 'offline') {
    throw new InvalidArgumentsException(
      `"config/maintenance.ts" onStoreError must be "last-known" or "offline", not ${JSON.stringify(onStoreError)}`
    )
  }
  const banner = {
    live: config.banner?.live === true,
    path: config.banner?.path ?? defaults.bannerStatusPath,
    interval: duration(
      config.banner?.interval ?? defaults.bannerInterval,
      'banner.interval',
      MAX_TIMER
    ),
  }
  if (!isCanonical(banner.path) || banner.path === '/') {
    throw new InvalidArgumentsException(
      `"config/maintenance.ts" banner.path must be a plain absolute path like "${defaults.bannerStatusPath}", not ${JSON.stringify(banner.path)}`
    )
  }
  if (banner.interval < 1000) {
    throw new InvalidArgumentsException(
      '"config/maintenance.ts" banner.interval must be at least 1s'
    )
  }
  const bypass = resolveBypass(config.bypass)
  if (durations.refreshInterval < 50) {
    throw new InvalidArgumentsException(
      '"config/maintenance.ts" refreshInterval must be at least 50ms'
    )
  }

  return configProvider.create(async (app) => {
    const stores = {} as Record<string, MaintenanceStoreFactory>
    for (const [name, provider] of Object.entries(config.stores)) {
      const factory = await configProvider.resolve<MaintenanceStoreFactory>(app, provider)
      if (!factory) {
        throw new RuntimeException(
          `Invalid store "${name}" in "config/maintenance.ts". Use the "stores" helpers`
        )
      }
      stores[name] = factory
    }

    /**
     * The session idle age is the session cookie's max age unless given,
     * and the package default when config/session.ts has none
     */
    let sessionIdleAge = durations.sessionIdleAge
    if (sessionIdleAge === null) {
      const age = await sessionAge(app)
      /**
       * Not this package's setting: a session kept longer than the limit
       * (a remember-me style age) drains for the limit at most
       */
      sessionIdleAge = Math.min(
        MAX_AHEAD.ms,
        age === undefined
          ? toMilliseconds(defaults.sessionIdleAge, 'sessionIdleAge')
          : toMilliseconds(age, 'session.age')
      )
    }

    const lockFile =
      config.lockFile === false ? false : resolvePath(app, config.lockFile ?? defaults.lockFile)

    return {
      default: String(config.default),
      stores,
      secretKey: config.secretKey ?? appKeyOf(app),
      lockFile,
      refreshInterval: durations.refreshInterval,
      drainTimeout: durations.drainTimeout,
      sessionIdleAge,
      presenceInterval: durations.presenceInterval,
      taskTimeout: durations.taskTimeout,
      retryAfter,
      message: config.message ?? defaults.message,
      allowedPaths: config.allowedPaths ?? [],
      allow,
      bypassCookie: config.bypassCookie ?? defaults.bypassCookie,
      earlyAnswer: config.earlyAnswer ?? defaults.earlyAnswer,
      staticPage:
        config.staticPage === false
          ? false
          : resolvePath(app, config.staticPage ?? defaults.staticPage),
      view: config.view ?? defaults.view,
      authSessionKey: config.authSessionKey ?? defaults.authSessionKey,
      onStoreError,
      banner,
      bypass,
    } as ResolvedMaintenanceConfig & {
      stores: { [K in keyof KnownStores]: MaintenanceStoreFactory }
    }
  })
}

/**
 * A duration of the config in milliseconds, refused past `limit` with a
 * message naming the file and the key (a malformed one keeps the
 * duration parser's message)
 */
function duration(value: string | number, key: string, limit: DurationLimit = MAX_AHEAD) {
  try {
    return parseDuration(value, key, limit)
  } catch (error) {
    if (error instanceof errors.E_INVALID_OPTION) {
      throw new InvalidArgumentsException(`"config/maintenance.ts" ${(error as Error).message}`)
    }
    throw error
  }
}

/**
 * Check the role and route bypasses
 */
function resolveBypass(bypass: MaintenanceConfig<any>['bypass']): ResolvedBypassConfig {
  if (bypass === undefined) return { allow: null, ability: null, routes: [] }
  if (!bypass || typeof bypass !== 'object') {
    throw new InvalidArgumentsException('"config/maintenance.ts" bypass must be an object')
  }
  if (bypass.allow !== undefined && typeof bypass.allow !== 'function') {
    throw new InvalidArgumentsException(
      '"config/maintenance.ts" bypass.allow must be a function of the HTTP context'
    )
  }
  if (bypass.ability !== undefined && (typeof bypass.ability !== 'string' || !bypass.ability)) {
    throw new InvalidArgumentsException(
      '"config/maintenance.ts" bypass.ability must be the name of a bouncer ability'
    )
  }
  const routes = bypass.routes ?? []
  if (!Array.isArray(routes) || routes.some((name) => typeof name !== 'string' || !name)) {
    throw new InvalidArgumentsException(
      '"config/maintenance.ts" bypass.routes must be a list of route names'
    )
  }
  return { allow: bypass.allow ?? null, ability: bypass.ability ?? null, routes: [...routes] }
}

/**
 * The stores. Each helper imports its module only when it is configured,
 * so Lucid and Redis stay optional.
 */
export const stores: {
  file: (options?: FileStoreOptions) => ConfigProvider<MaintenanceStoreFactory>
  database: (options?: DatabaseStoreOptions) => ConfigProvider<MaintenanceStoreFactory>
  redis: (options?: RedisStoreOptions) => ConfigProvider<MaintenanceStoreFactory>
  memory: () => ConfigProvider<MaintenanceStoreFactory>
} = {
  file(options) {
    return configProvider.create(async (app) => {
      const { FileStore } = await import('./stores/file.ts')
      const directory = resolvePath(app, options?.directory ?? defaults.fileStoreDirectory)
      return () => new FileStore(directory)
    })
  },

  database(options) {
    return configProvider.create(async (app) => {
      const { DatabaseStore } = await import('./stores/database.ts')
      const db = await app.container.make('lucid.db')
      const connection = options?.connection ?? db.primaryConnectionName
      if (!db.manager.has(connection)) {
        throw new RuntimeException(
          `Invalid connection name "${connection}" referenced by "config/maintenance.ts" file. First register the connection inside "config/database.ts" file`
        )
      }
      /**
       * Only for a warning: an app without the logger binding still works
       */
      const logger = app.container.hasBinding('logger')
        ? await app.container.make('logger')
        : undefined
      return () =>
        new DatabaseStore(db.connection(connection), options, { appRoot: app.appRoot, logger })
    })
  },

  redis(options) {
    return configProvider.create(async (app) => {
      const { RedisStore } = await import('./stores/redis.ts')
      const redis = await app.container.make('redis')
      return () => new RedisStore(redis, options)
    })
  },

  /**
   * In-process, for tests. Every store the factory makes shares one
   * backend, so two managers of the resolved config see each other's
   * writes, like two app processes on one host.
   */
  memory() {
    return configProvider.create(async () => {
      const { MemoryBackend, MemoryStore } = await import('./stores/memory.ts')
      const backend = new MemoryBackend()
      return () => new MemoryStore(backend)
    })
  },
}

/**
 * Paths in the config are relative to the app root unless absolute
 */
function resolvePath(app: ApplicationService, path: string) {
  return isAbsolute(path) ? path : app.makePath(path)
}

/**
 * The `age` of config/session.ts. Session 8 exports a config provider,
 * so it is resolved to be read; any failure means "unknown".
 */
async function sessionAge(app: ApplicationService): Promise<string | number | undefined> {
  const session = app.config.get<unknown>('session', undefined)
  if (!session) return undefined
  try {
    const resolved = await configProvider.resolve<{ age?: string | number }>(app, session)
    return (resolved ?? (session as { age?: string | number })).age
  } catch {
    return undefined
  }
}

/**
 * The app's APP_KEY as `config/app.ts` exports it (a Secret), or null
 */
function appKeyOf(app: { config: { get<T>(key: string, fallback?: T): T } }): string | null {
  const key = app.config.get<unknown>('app.appKey', null)
  if (key && typeof (key as { release?: unknown }).release === 'function') {
    return String((key as { release(): unknown }).release())
  }
  return typeof key === 'string' && key ? key : null
}
