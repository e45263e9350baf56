import { Env } from '@adonisjs/core/env'

const env = await Env.create(new URL('../', import.meta.url), {
  NODE_ENV: Env.schema.enum(['development', 'production', 'test'] as const),
  APP_KEY: Env.schema.secret(),
  PORT: Env.schema.number(),
  HOST: Env.schema.string({ format: 'host' }),
  LOG_LEVEL: Env.schema.string(),
  BENCH_MAINTENANCE: Env.schema.boolean.optional(),
  BENCH_STACK: Env.schema.enum.optional(['kit', 'minimal'] as const),
  MAINTENANCE_STORE: Env.schema.enum(['file', 'database', 'redis'] as const),
  MAINTENANCE_DIR: Env.schema.string(),
  MAINTENANCE_LOCK_FILE: Env.schema.string(),
  MAINTENANCE_REFRESH: Env.schema.string.optional(),
  MAINTENANCE_EARLY_ANSWER: Env.schema.boolean.optional(),
  MAINTENANCE_STATIC_PAGE: Env.schema.string(),
  MAINTENANCE_TABLE_PREFIX: Env.schema.string.optional(),
  REDIS_PREFIX: Env.schema.string.optional(),
  DB_CONNECTION: Env.schema.enum.optional(['sqlite', 'pg', 'mysql'] as const),
  SQLITE_FILE: Env.schema.string.optional(),
})

export default env

/**
 * The starter kit's middleware and Lucid users (the default), or the
 * minimal stack (start/kernel.ts)
 */
export const kitStack = env.get('BENCH_STACK', 'kit') === 'kit'
