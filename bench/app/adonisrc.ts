/*
 * The benchmark app: a starter-kit-like AdonisJS 7 app (Edge, body
 * parser, cookie sessions, session auth) booted from the package's sources.
 * BENCH_MAINTENANCE=0 leaves the package's middleware out of the stacks,
 * so the same app is measured with and without it.
 */
import { defineConfig } from '@adonisjs/core/app'

export default defineConfig({
  commands: [() => import('@adonisjs/core/commands'), () => import('./commands_loader.ts')],
  providers: [
    () => import('@adonisjs/core/providers/app_provider'),
    () => import('@adonisjs/core/providers/hash_provider'),
    () => import('@adonisjs/core/providers/edge_provider'),
    () => import('@adonisjs/session/session_provider'),
    () => import('@adonisjs/auth/auth_provider'),
    () => import('@adonisjs/lucid/database_provider'),
    () => import('@adonisjs/redis/redis_provider'),
    () => import('../../providers/maintenance_provider.ts'),
  ],
  preloads: [
    { file: () => import('./start/routes.ts'), environment: ['web'] },
    { file: () => import('./start/kernel.ts'), environment: ['web'] },
  ],
})
