/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash } from 'node:crypto'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import debug from '../debug.ts'

/**
 * Bounds of the wait before reconnecting a lost listening connection,
 * doubled after each failed attempt
 */
const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 5000

/**
 * PostgreSQL keeps identifiers up to 63 bytes
 */
const MAX_IDENTIFIER = 63

/**
 * The knex instance of a Lucid connection's writer
 */
type Knex = ReturnType<QueryClientContract['getWriteClient']>

/**
 * What the listener uses of a `pg.Client` (the driver knex loaded)
 */
interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
  on(event: 'error', handler: (error: Error) => void): unknown
  on(event: 'end', handler: () => void): unknown
  on(event: 'notification', handler: (message: { channel: string }) => void): unknown
}

/**
 * The NOTIFY channel of a state table: a lowercase identifier of at
 * most 63 bytes, hashed when the table name would make it longer
 */
export function notifyChannel(stateTable: string) {
  const channel = `site_maintenance_${stateTable.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`
  if (channel.length <= MAX_IDENTIFIER) return channel
  const hash = createHash('sha256').update(stateTable).digest('hex').slice(0, 10)
  return `${channel.slice(0, MAX_IDENTIFIER - hash.length - 1)}_${hash}`
}

/**
 * One dedicated PostgreSQL connection, outside the pool, that LISTENs
 * on a channel and calls back on each notification. A lost connection
 * is reopened with a bounded backoff, then calls back once: a
 * notification may have been missed meanwhile.
 */
export class PgListener {
  #client: PgClient | null = null
  #retry: NodeJS.Timeout | null = null
  #delay = RECONNECT_MIN_MS
  #closed = false

  constructor(
    protected knex: Knex,
    readonly channel: string,
    protected onNotify: () => void
  ) {}

  /**
   * Connect and LISTEN. A failure is retried in the background: the
   * poll still runs meanwhile.
   */
  async start() {
    await this.#connect(false)
  }

  async #connect(afterLoss: boolean) {
    if (this.#closed) return
    let client: PgClient | null = null
    try {
      const Driver = (this.knex.client as any).driver as { Client: new (config: any) => PgClient }
      const settings = await this.#settings()
      /**
       * Closed while the settings were read: open nothing
       */
      if (this.#closed) return
      client = new Driver.Client(settings)
      this.#client = client
      const current = client
      client.on('error', (error) => this.#lost(current, error))
      client.on('end', () => this.#lost(current, null))
      client.on('notification', (message) => {
        if (message.channel === this.channel) this.onNotify()
      })
      await client.connect()
      await client.query(`LISTEN "${this.channel}"`)
    } catch (error) {
      this.#lost(client, error as Error)
      return
    }
    if (this.#client !== client) return
    debug('listening on PostgreSQL channel %s', this.channel)
    this.#delay = RECONNECT_MIN_MS
    if (afterLoss) this.onNotify()
  }

  /**
   * The connection settings of the pool's writer (through Lucid's
   * replica-aware resolver when present), named for pg_stat_activity
   */
  async #settings() {
    const client = this.knex.client as any
    const settings =
      typeof client.getRuntimeConnectionSettings === 'function'
        ? await client.getRuntimeConnectionSettings()
        : client.connectionSettings
    if (typeof settings === 'string') {
      return { application_name: 'site-maintenance', keepAlive: true, connectionString: settings }
    }
    /**
     * knex keeps the password as a hidden property, which a spread skips
     */
    return {
      application_name: 'site-maintenance',
      keepAlive: true,
      ...settings,
      password: settings?.password,
    }
  }

  /**
   * The connection in use failed or ended (a stale one is ignored):
   * drop it and try again later
   */
  #lost(client: PgClient | null, error: Error | null) {
    if (this.#closed || client !== this.#client) return
    this.#client = null
    client?.end().catch(() => {})
    debug(
      'PostgreSQL listener on %s lost (%s); reconnecting in %d ms',
      this.channel,
      error?.message ?? 'connection ended',
      this.#delay
    )
    this.#retry = setTimeout(() => {
      this.#retry = null
      this.#connect(true)
    }, this.#delay)
    this.#retry.unref()
    this.#delay = Math.min(this.#delay * 2, RECONNECT_MAX_MS)
  }

  async close() {
    this.#closed = true
    if (this.#retry) clearTimeout(this.#retry)
    this.#retry = null
    const client = this.#client
    this.#client = null
    await client?.end().catch(() => {})
  }
}
