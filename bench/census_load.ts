/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * The load the census is measured under (bench/census.ts): a process of
 * its own, so the bench process's timings wait on the database and not on
 * this process's event loop, writing presence rows as fast as it can
 * through the database store's own `touchSession` upsert, `workers`
 * writes in flight (one on SQLite, whose driver is synchronous), over a
 * pool of keys so most writes update a row and some insert one.
 *
 * Spawned with an IPC channel and one JSON argument; sends "ready" once
 * writing, and on "stop" answers `{ writes, errors, seconds }` and exits.
 */
import { randomBytes } from 'node:crypto'
import { DatabaseStore } from '../src/stores/database.ts'
import { connectionsFor, openDatabase } from '../support/database.ts'
import type { BenchDatabase } from './lib/databases.ts'

export interface CensusLoadOptions {
  connection: BenchDatabase
  sqliteFile: string
  sessionsTable: string
  stateTable: string
  tasksTable: string
  workers: number
  keys: number
}

const options = JSON.parse(process.argv[2]) as CensusLoadOptions
const db = openDatabase(options.connection, connectionsFor(options.sqliteFile))
const store = new DatabaseStore(db.connection(options.connection), {
  stateTable: options.stateTable,
  sessionsTable: options.sessionsTable,
  tasksTable: options.tasksTable,
})
const keys = Array.from({ length: options.keys }, () => randomBytes(20).toString('hex'))
const HOUR = 3_600_000

let writes = 0
let errors = 0
let stopping = false
const started = performance.now()

async function worker() {
  while (!stopping) {
    const index = Math.floor(Math.random() * keys.length)
    try {
      await store.touchSession(keys[index], String(index % 5000), Date.now() + HOUR)
      writes++
    } catch {
      errors++
    }
    /**
     * Let the IPC message in (SQLite's driver never waits on I/O)
     */
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const running = Promise.all(Array.from({ length: options.workers }, () => worker()))

process.on('message', async (message) => {
  if (message !== 'stop') return
  stopping = true
  await running
  const seconds = (performance.now() - started) / 1000
  await db.manager.closeAll()
  process.send!({ writes, errors, seconds }, () => process.exit(0))
})

/**
 * A first write through, then say so
 */
while (writes + errors < options.workers) await new Promise((resolve) => setTimeout(resolve, 10))
process.send!('ready')
