/*
 * Middleware stacks of a starter kit. The package's middleware are
 * left out with BENCH_MAINTENANCE=0.
 */
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'
import env from './env.ts'

const withMaintenance = env.get('BENCH_MAINTENANCE', true)

server.use(withMaintenance ? [() => import('../../../src/maintenance_middleware.ts')] : [])

router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('@adonisjs/session/session_middleware'),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
  ...(withMaintenance ? [() => import('../../../src/presence_middleware.ts')] : []),
])
