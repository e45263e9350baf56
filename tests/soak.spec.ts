/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { Agent, request } from 'node:http'
import { test } from '@japa/runner'
import { createFixtureApp, startServer, type RunningServer } from './fixture_app.ts'
import { DATABASES, type DatabaseName, createManager } from './helpers.ts'

/**
 * The hardening issue's scenario: app processes on the database store,
 * `offline:on --force` / `offline:off` alternating from Ace processes
 * while a client polls `/` on every process. On SQLite with
 * better-sqlite3 < 13 on Node.js 24, every process eventually aborted in
 * a statement finalizer, during the run or at SIGTERM.
 *
 * SOAK_SECONDS sets the length of the run; the three databases soak at
 * the same time. The default, 60, is what CI runs (`npm test` sets no
 * env): on the 2-core test machine, under load, that was per database 55
 * flips through the test's manager, 9 through Ace processes and ~9,000
 * polled requests over 4 processes, then the SIGTERM of all 12 (71 s in
 * all): every part of the scenario, at a fifth of its length.
 * The 300 s is
 * `SOAK_SECONDS=300 npm run quick:test -- soak`, worth a run when the
 * database stores or better-sqlite3 change.
 */
const SOAK_SECONDS = Number(process.env.SOAK_SECONDS ?? 60)
if (!(SOAK_SECONDS > 0)) {
  throw new Error(
    `SOAK_SECONDS must be a positive number of seconds, not ${process.env.SOAK_SECONDS}`
  )
}
const PROCESSES = 4
/**
 * Pause between two requests of one poller, after each Ace flip, and
 * between two flips written by the test's own manager
 */
const POLL_PAUSE_MS = 5
const ACE_PAUSE_MS = 250
const MANAGER_FLIP_MS = 1_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /**
   * Exited before it was sent SIGTERM
   */
  early: boolean
}

interface ServerReport {
  statuses: Record<string, number>
  errors: string[]
  queriesPerSecond: number
  exit: Exit
}

interface SoakReport {
  database: DatabaseName
  seconds: number
  requests: number
  statuses: Record<string, number>
  /**
   * Through Ace processes, and through a manager in the test process
   * (an Ace process takes seconds to boot on a loaded machine)
   */
  flips: { on: number; off: number; failed: string[] }
  managerFlips: { on: number; off: number; failed: string[] }
  servers: ServerReport[]
}

/**
 * GET / on one server until `until`, one request at a time
 */
async function poll(server: RunningServer, until: number, report: ServerReport) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    while (Date.now() < until) {
      try {
        const status = await new Promise<number>((resolve, reject) => {
          const req = request(
            { host: server.host, port: server.port, path: '/', agent, timeout: 10_000 },
            (res) => {
              res.resume()
              res.on('end', () => resolve(res.statusCode!))
              res.on('error', reject)
            }
          )
          req.on('timeout', () => req.destroy(new Error('request timed out')))
          req.on('error', reject)
          req.end()
        })
        report.statuses[status] = (report.statuses[status] ?? 0) + 1
      } catch (error) {
        if (report.errors.length < 20) report.errors.push((error as Error).message)
        await sleep(100)
      }
      await sleep(POLL_PAUSE_MS)
    }
  } finally {
    agent.destroy()
  }
}

async function soak(database: DatabaseName): Promise<SoakReport> {
  const app = await createFixtureApp(database)
  const servers: RunningServer[] = []
  const exits: Promise<Omit<Exit, 'early'> & { at: number }>[] = []
  for (let i = 0; i < PROCESSES; i++) {
    const server = await startServer(app, { FIXTURE_COUNT_QUERIES: '1' }, 60_000)
    servers.push(server)
    exits.push(
      new Promise((resolve) => {
        if (server.child.exitCode !== null || server.child.signalCode !== null) {
          resolve({ code: server.child.exitCode, signal: server.child.signalCode, at: Date.now() })
        }
        server.child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))
      })
    )
  }

  const reports: ServerReport[] = servers.map(() => ({
    statuses: {},
    errors: [],
    queriesPerSecond: 0,
    exit: { code: null, signal: null, early: false },
  }))
  const flips: SoakReport['flips'] = { on: 0, off: 0, failed: [] }
  const started = Date.now()
  const until = started + SOAK_SECONDS * 1000
  const before = await Promise.all(servers.map((server) => server.counters()))

  const flipping = (async () => {
    for (let on = true; Date.now() < until; on = !on) {
      const result = await app.ace(on ? ['offline:on', '--force', '--no-wait'] : ['offline:off'])
      if (result.code === 0) flips[on ? 'on' : 'off']++
      else if (flips.failed.length < 10) flips.failed.push(result.stdout + result.stderr)
      await sleep(ACE_PAUSE_MS)
    }
  })()
  const managerFlips: SoakReport['managerFlips'] = { on: 0, off: 0, failed: [] }
  const manager = await createManager(app.store)
  const managerFlipping = (async () => {
    for (let on = false; Date.now() < until; on = !on) {
      await sleep(MANAGER_FLIP_MS)
      try {
        await (on ? manager.activate({ force: true }) : manager.deactivate())
        managerFlips[on ? 'on' : 'off']++
      } catch (error) {
        if (managerFlips.failed.length < 10) managerFlips.failed.push((error as Error).message)
      }
    }
  })()
  await Promise.all([
    flipping,
    managerFlipping,
    ...servers.map((server, i) => poll(server, until, reports[i])),
  ])

  const after = await Promise.all(servers.map((server) => server.counters()))
  const seconds = (Date.now() - started) / 1000
  after.forEach((counters, i) => {
    reports[i].queriesPerSecond = (counters.queries - before[i].queries) / seconds
  })

  const terminated = Date.now()
  for (const server of servers) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM')
    }
  }
  const killer = setTimeout(() => servers.forEach((server) => server.child.kill('SIGKILL')), 15_000)
  const exited = await Promise.all(exits)
  clearTimeout(killer)
  exited.forEach(({ code, signal, at }, i) => {
    reports[i].exit = { code, signal, early: at < terminated }
  })

  const statuses: Record<string, number> = {}
  for (const report of reports) {
    for (const [status, count] of Object.entries(report.statuses)) {
      statuses[status] = (statuses[status] ?? 0) + count
    }
  }
  return {
    database,
    seconds,
    requests: Object.values(statuses).reduce((sum, count) => sum + count, 0),
    statuses,
    flips,
    managerFlips,
    servers: reports,
  }
}

test.group('Soak', () => {
  test('app processes on the database store survive flips under polling')
    .tags(['@soak'])
    .timeout((SOAK_SECONDS + 180) * 1000)
    .run(async ({ assert }) => {
      const started = Date.now()
      const results = await Promise.all(DATABASES.map((database) => soak(database)))
      for (const result of results) {
        console.log(
          `soak ${result.database}: ${result.seconds.toFixed(1)}s, ${result.requests} requests ` +
            `${JSON.stringify(result.statuses)}, ace flips on/off ${result.flips.on}/${result.flips.off}` +
            ` (${result.flips.failed.length} failed), manager flips on/off ` +
            `${result.managerFlips.on}/${result.managerFlips.off}` +
            ` (${result.managerFlips.failed.length} failed), queries/s per process ` +
            result.servers.map((server) => server.queriesPerSecond.toFixed(1)).join(' ') +
            `, exits ${JSON.stringify(result.servers.map((server) => server.exit))}`
        )
      }
      console.log(`soak wall time: ${((Date.now() - started) / 1000).toFixed(1)}s`)

      for (const result of results) {
        const name = result.database
        assert.deepEqual(result.flips.failed, [], `${name}: every flip command succeeded`)
        assert.deepEqual(result.managerFlips.failed, [], `${name}: every manager flip succeeded`)
        assert.isAbove(result.flips.on + result.flips.off, 0, `${name}: an Ace process flipped`)
        result.servers.forEach((server, i) => {
          const label = `${name} process ${i + 1}`
          assert.deepEqual(
            server.exit,
            { code: 0, signal: null, early: false },
            `${label}: alive until SIGTERM, then exit 0`
          )
          assert.deepEqual(server.errors, [], `${label}: every request answered`)
          assert.isAbove(server.statuses[200] ?? 0, 0, `${label}: answered 200`)
          assert.isAbove(server.statuses[503] ?? 0, 0, `${label}: answered 503`)
          assert.sameMembers(
            Object.keys(server.statuses),
            ['200', '503'],
            `${label}: answered nothing but 200 and 503`
          )
        })
      }
    })
})
