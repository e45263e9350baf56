/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * `npm run demo`: the package doing its job on the embedded default (file
 * store, SQLite, no service to start), in the tests' fixture app.
 *
 *   npm run demo                    serve the demo site until Ctrl-C or SIGTERM
 *   npm run demo -- --tour          the whole job unattended, step by step (exit 0)
 *   npm run demo -- <ace command>   run an Ace command against the running demo,
 *                                   e.g. `npm run demo -- offline:on`
 *
 * Never reads stdin, so it runs the same without a terminal (CI, Docker).
 * Everything it writes is under tmp/demo/.
 */
import { spawn } from 'node:child_process'
import { constants } from 'node:os'
import { USER } from '../support/database.ts'
import { ROOT, aceArgv, childEnv } from '../support/fixture_processes.ts'
import {
  demoDirectory,
  demoEnv,
  exit,
  exitOnSignals,
  isExiting,
  removeRecordOnExit,
  runningDemo,
  shown,
  startSite,
  writeRecord,
} from './demo/site.ts'
import { tour } from './demo/tour.ts'

const SITE = 'site'

function signalCode(signal: NodeJS.Signals) {
  return 128 + constants.signals[signal]
}

/**
 * Serve the demo site and say what to try; until a signal, or until the
 * server dies (exit 1)
 */
async function serve() {
  const directory = demoDirectory(SITE)
  const running = await runningDemo(directory)
  if (running) {
    console.error(`A demo already runs (pid ${running.pid}) at ${running.url}/; stop it first.`)
    process.exit(1)
  }
  exitOnSignals(() => 0)
  console.log('Starting the demo: tests/fixtures/app with site-maintenance, file store, SQLite…')
  const site = await startSite(directory)
  const pid = site.server.child.pid!
  removeRecordOnExit(directory)
  await writeRecord(directory, { pid: process.pid, serverPid: pid, url: site.url })
  site.server.child.once('exit', (code, signal) => {
    if (isExiting()) return
    console.error(`The app server exited (${signal ?? code}); see ${shown(directory)}/server.log`)
    void exit(1)
  })

  const url = site.url
  console.log(`
The demo site runs at ${url}/  (app server pid ${pid})
State in ${shown(directory)}/ (server log: server.log, lock file: down)

Try it:
  1. In a browser tab, log in at ${url}/login
       email     ${USER.email}
       password  ${USER.password}
  2. Open ${url}/ in a private tab: an anonymous visitor.
  3. In another terminal:  npm run demo -- offline:on
     The site goes PENDING and waits for the drain: reload the logged-in tab (it works, with
     a banner); the private tab gets the maintenance page and cannot log in.
  4. Log out in the logged-in tab (${url}/login, "Log out"): the drain finishes,
     offline:on says OFFLINE and the lock file ${shown(site.lockFile)} appears.
  5. npm run demo -- offline:off   brings it back ONLINE.
     npm run demo -- offline:status   prints the census at any time.

Ctrl-C (or SIGTERM) stops the demo.`)
}

/**
 * Run one Ace command of the fixture app on the demo's state, its output
 * and exit code passed through. SIGTERM and SIGHUP are passed on, and so
 * is SIGINT when no terminal sent it to both processes already.
 */
async function runAce(args: string[]) {
  const directory = demoDirectory(SITE)
  const running = await runningDemo(directory)
  const where = running ? `the demo at ${running.url}/` : 'no demo runs (npm run demo starts one)'
  console.log(`$ node ace ${args.join(' ')}   (${shown(directory)}; ${where})`)
  const child = spawn(process.execPath, aceArgv(args), {
    cwd: ROOT,
    env: childEnv(demoEnv(directory), { LOG_LEVEL: 'warn' }),
    stdio: 'inherit',
  })
  const forward = (signal: NodeJS.Signals) => {
    if (signal !== 'SIGINT' || !process.stdin.isTTY) child.kill(signal)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward)
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal ? signalCode(signal) : 1))
  })
}

const args = process.argv.slice(2)
try {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(
      'npm run demo [-- --tour | -- <ace command>]\n\n' +
        'Without arguments: serve the demo site until Ctrl-C or SIGTERM.\n' +
        '--tour: take the site through ONLINE, PENDING, OFFLINE and back, unattended.\n' +
        '<ace command>: run it against the running demo, e.g. offline:on, offline:status.'
    )
  } else if (args[0] === '--tour') {
    exitOnSignals(signalCode)
    await tour()
  } else if (args.length) {
    await runAce(args)
  } else {
    await serve()
  }
} catch (error) {
  console.error(error)
  await exit(1)
}
