import { tmpdir } from 'node:os'
import { join } from 'node:path'
import env from '../start/env.ts'
import { defineConfig } from '@adonisjs/lucid'

export default defineConfig({
  connection: env.get('DB_CONNECTION', 'sqlite'),
  connections: {
    sqlite: {
      client: 'better-sqlite3',
      connection: { filename: env.get('SQLITE_FILE', '/tmp/site-maintenance-bench.sqlite3') },
      useNullAsDefault: true,
    },
    /**
     * The kit stack's users table (read-only once seeded)
     */
    users: {
      client: 'better-sqlite3',
      connection: { filename: join(tmpdir(), 'site-maintenance-bench-users.sqlite3') },
      useNullAsDefault: true,
    },
    pg: {
      client: 'pg',
      connection: { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' },
    },
    mysql: {
      client: 'mysql2',
      connection: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' },
    },
  },
})
