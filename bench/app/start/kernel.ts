/*
 * Middleware stacks. BENCH_STACK=kit (the default) is the hypermedia
 * starter kit's: container bindings, static files and Vite in the server
 * stack; body parser, session, shield, auth and silent auth in the
 * router stack. BENCH_STACK=minimal keeps only body parser, session and
 * auth. The package's middleware is left out with BENCH_MAINTENANCE=false.
 */
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'
import env, { kitStack } from './env.ts'

const withMaintenance = env.get('BENCH_MAINTENANCE', true)

server.use([
  ...(withMaintenance ? [() => import('../../../src/maintenance_middleware.ts')] : []),
  ...(kitStack
    ? [
        () => import('../app/middleware/container_bindings_middleware.ts'),
        () => import('@adonisjs/static/static_middleware'),
        () => import('../app/middleware/vite_middleware.ts'),
      ]
    : []),
])

router.use([
  () => import('@adonisjs/core/bodyparser_middleware'),
  () => import('@adonisjs/session/session_middleware'),
  ...(kitStack ? [() => import('@adonisjs/shield/shield_middleware')] : []),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
  ...(kitStack ? [() => import('../app/middleware/silent_auth_middleware.ts')] : []),
])
