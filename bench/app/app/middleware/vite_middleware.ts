import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/**
 * Stands in for @adonisjs/vite's middleware, which in production (no dev
 * server) is an async handle() that calls next(); the bench does not pull
 * in Vite itself for that
 */
export default class ViteMiddleware {
  async handle(_ctx: HttpContext, next: NextFn) {
    return next()
  }
}
