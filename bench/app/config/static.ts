import { defineConfig } from '@adonisjs/static'

/**
 * The starter kits' defaults: bench/app/public served first in the
 * server stack
 */
export default defineConfig({
  enabled: true,
  etag: true,
  lastModified: true,
  dotFiles: 'ignore',
})
