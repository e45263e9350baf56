/*
 * The benchmark app: a starter-kit-like AdonisJS 7 app (Edge, static
 * files, body parser, cookie sessions, shield, session auth with Lucid
 * users; see start/kernel.ts) booted from the package's sources.
 * BENCH_MAINTENANCE=false leaves the package out (its provider and its
 * middleware), so the same app is measured with and without it.
 */
import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  commands: [() => import('@adonisjs/core/commands'), () => import('./commands_loader.ts')],
  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    () => import('@adonisjs/core/providers/edge_provider'),
    () => import('@adonisjs/session/session_provider'),
    () => import('@adonisjs/shield/shield_provider'),
    () => import('@adonisjs/static/static_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/redis/redis_provider'),
    ...(process.env.BENCH_MAINTENANCE === 'false'
      ? []
      : [() => import('../../providers/maintenance_provider.ts')]),
  ],
  preloads: [
    { file: () => import('./start/users.ts'), environment: ['web'] },
    { file: () => import('./start/routes.ts'), environment: ['web'] },
    { file: () => import('./start/kernel.ts'), environment: ['web'] },
  ],
})
