/*
 * Middleware stacks. BENCH_STACK=kit (the default) is the hypermedia
 * starter kit's: container bindings, static files and Vite in the server
 * stack; body parser, session, shield, auth and silent auth in the
 * router stack. BENCH_STACK=minimal keeps only body parser, session and
 * auth. The package's middleware are left out with BENCH_MAINTENANCE=0.
 */
import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'
import env from './env.ts'

const withMaintenance = env.get('BENCH_MAINTENANCE', true)
const kit = env.get('BENCH_STACK', 'kit') === 'kit'

server.use([
  ...(withMaintenance ? [() => import('../../../src/maintenance_middleware.ts')] : []),
  ...(kit
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
  ...(kit ? [() => import('@adonisjs/shield/shield_middleware')] : []),
  () => import('@adonisjs/auth/initialize_auth_middleware'),
  ...(kit ? [() => import('../app/middleware/silent_auth_middleware.ts')] : []),
  ...(withMaintenance ? [() => import('../../../src/presence_middleware.ts')] : []),
])
