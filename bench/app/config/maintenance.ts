import env from '../start/env.ts'
import { defineConfig, stores } from '../../../index.ts'

const prefix = env.get('MAINTENANCE_TABLE_PREFIX', 'maintenance')

export default defineConfig({
  default: env.get('MAINTENANCE_STORE'),
  stores: {
    file: stores.file({ directory: env.get('MAINTENANCE_DIR') }),
    database: stores.database({
      stateTable: `${prefix}_state`,
      sessionsTable: `${prefix}_sessions`,
      tasksTable: `${prefix}_tasks`,
    }),
    redis: stores.redis({ prefix: env.get('REDIS_PREFIX', 'site_maintenance') }),
  },
  lockFile: env.get('MAINTENANCE_LOCK_FILE', 'tmp/maintenance/down'),
  staticPage: env.get('MAINTENANCE_STATIC_PAGE'),
  refreshInterval: env.get('MAINTENANCE_REFRESH', '1s'),
  earlyAnswer: env.get('MAINTENANCE_EARLY_ANSWER', true),
})
