/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { existsSync } from 'node:fs'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { Scrypt } from '@adonisjs/core/hash/drivers/scrypt'
import { openSqlite } from '../database.ts'
import {
  createFixtureApp,
  startServer,
  type FixtureApp,
  type RunningServer,
} from '../fixture_app.ts'

export const USER = { email: 'ada@example.com', password: 'correct horse battery staple' }

/**
 * A second user of the fixture app's database
 */
export const OTHER_USER = { email: 'bob@example.com', password: 'battery staple horse correct' }

export interface HttpResult {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/**
 * An HTTP client with a cookie jar. Paths are sent exactly as given (no
 * normalisation), from a chosen loopback address.
 */
export class Client {
  cookies = new Map<string, string>()

  constructor(
    protected server: Pick<RunningServer, 'port' | 'host'>,
    protected localAddress = '127.0.0.1'
  ) {}

  request(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; form?: Record<string, string> } = {}
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { connection: 'close', ...options.headers }
    if (this.cookies.size) {
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    }
    let body: string | undefined
    if (options.form) {
      body = new URLSearchParams(options.form).toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
      headers['content-length'] = String(Buffer.byteLength(body))
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: this.server.host,
          port: this.server.port,
          localAddress: this.localAddress,
          method,
          path,
          headers,
          agent: false,
          timeout: 10_000,
        },
        (res) => {
          let data = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => (data += chunk))
          res.on('end', () => {
            this.#store(res.headers['set-cookie'])
            resolve({ status: res.statusCode!, headers: res.headers, body: data })
          })
          res.on('error', reject)
        }
      )
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)))
      req.on('error', reject)
      req.end(body)
    })
  }

  get(path: string, headers?: Record<string, string>) {
    return this.request('GET', path, { headers })
  }

  /**
   * The status of a GET
   */
  async status(path: string, headers?: Record<string, string>) {
    const response = await this.get(path, headers)
    return response.status
  }

  #store(setCookie: string[] | undefined) {
    for (const line of setCookie ?? []) {
      const [pair, ...attributes] = line.split(';')
      const index = pair.indexOf('=')
      const name = pair.slice(0, index).trim()
      const value = pair.slice(index + 1).trim()
      const expired = attributes.some((attribute) => {
        const [key, val] = attribute.trim().split('=')
        if (key.toLowerCase() === 'max-age') return Number(val) <= 0
        if (key.toLowerCase() === 'expires') return new Date(val).getTime() <= Date.now()
        return false
      })
      if (!value || expired) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }
}

/**
 * The users and sessions tables of the fixture app, on its SQLite file,
 * with two users (passwords hashed with scrypt, as config/hash.ts does).
 * A schema builder accumulates statements, hence one per table.
 */
export async function prepareDatabase(filename: string) {
  const db = openSqlite(filename)
  try {
    await db.connection().schema.createTable('users', (table) => {
      table.increments('id')
      table.string('email', 254).notNullable().unique()
      table.string('password').notNullable()
    })
    await db.connection().schema.createTable('sessions', (table) => {
      table.string('id').primary()
      table.text('data').notNullable()
      table.string('user_id').nullable().index()
      table.timestamp('expires_at').notNullable().index()
    })
    const scrypt = new Scrypt({
      cost: 16384,
      blockSize: 8,
      parallelization: 1,
      maxMemory: 33554432,
    })
    for (const user of [USER, OTHER_USER]) {
      await db
        .table('users')
        .insert({ email: user.email, password: await scrypt.make(user.password) })
    }
  } finally {
    await db.manager.closeAll()
  }
}

/**
 * Count the rows of a table in the fixture app's SQLite file
 */
export async function countRows(filename: string, table: string, where?: Record<string, unknown>) {
  const db = openSqlite(filename)
  try {
    const query = db.from(table)
    if (where) query.where(where)
    const row = await query.count('* as total').first()
    return Number(row?.total ?? 0)
  } finally {
    await db.manager.closeAll()
  }
}

/**
 * The fixture app on one maintenance store, its database prepared and its
 * HTTP server started
 */
export async function bootSite(
  store: 'file' | 'redis',
  env: Record<string, string> = {}
): Promise<{ app: FixtureApp; server: RunningServer; sqlite: string }> {
  const app = await createFixtureApp(store)
  const sqlite = join(app.directory, 'app.sqlite3')
  app.env.SQLITE_FILE = sqlite
  app.env.MAINTENANCE_STATIC_PAGE = join(app.directory, 'maintenance.html')
  await prepareDatabase(sqlite)
  const server = await startServer(app, env)
  return { app, server, sqlite }
}

/**
 * Log a user in from a fresh client
 */
export async function login(server: RunningServer, localAddress?: string, user = USER) {
  const client = new Client(server, localAddress)
  const response = await client.request('POST', '/login', { form: user })
  return { client, response }
}

/**
 * Poll until `check` holds (bounded)
 */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeout = 10_000
) {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeout) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Wait until the server answers anonymous visitors with `status`: the
 * state written by an Ace command has reached the app
 */
export function waitForStatus(server: RunningServer, status: number, path = '/', timeout?: number) {
  return waitFor(
    `${path} to answer ${status}`,
    async () => {
      const response = await new Client(server).get(path)
      return response.status === status
    },
    timeout
  )
}

/**
 * Wait until the lock file exists (OFFLINE) or not
 */
export function waitForLockFile(app: FixtureApp, present: boolean, timeout?: number) {
  return waitFor(
    `the lock file to be ${present ? 'created' : 'removed'}`,
    () => existsSync(app.lockFile) === present,
    timeout
  )
}
