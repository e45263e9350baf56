import env from '../start/env.ts'
import { defineConfig, targets } from '@adonisjs/core/logger'

/**
 * JSON lines on stdout, which the benchmark counts
 */
export default defineConfig({
  default: 'app',
  loggers: {
    app: {
      enabled: true,
      name: 'bench',
      level: env.get('LOG_LEVEL'),
      transport: { targets: [targets.file({ destination: 1 })] },
    },
  },
})
