/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * `npm test` runs this first. It brings what npm cannot: the Debian
 * packages the web-server tests drive, and the PostgreSQL, MariaDB and
 * Redis servers the store tests talk to. It says what it did, and when it
 * cannot fix something it fails naming the exact command to run.
 *
 * Plain, erasable TypeScript: it runs on Node 24's own type stripping,
 * before any dependency is trusted to be there.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { connect } from 'node:net'

const problems: string[] = []
const isRoot = process.getuid?.() === 0
const hasApt = existsSync('/usr/bin/apt-get')

function say(line: string) {
  console.log(`[setup] ${line}`)
}

/**
 * Resolves true when something accepts TCP connections on the port
 */
function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host })
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
    socket.once('error', () => resolve(false))
  })
}

async function waitFor(port: number, seconds: number) {
  for (let i = 0; i < seconds * 4; i++) {
    if (await isListening(port)) return true
    await new Promise((r) => setTimeout(r, 250))
  }
  return false
}

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { stdio: 'inherit' })
  return result.status === 0
}

/**
 * Node 24 comes from the `node` devDependency, which npm scripts put first
 * on PATH. Anything older means the install did not run.
 */
const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  problems.push(`Node ${process.versions.node} is running; AdonisJS 7 needs 24. Run: npm install`)
}

/**
 * Debian packages for the web-server tests, the browser screenshots and
 * the benchmarks' load generator
 */
const debianPackages: Record<string, string> = {
  nginx: '/usr/sbin/nginx',
  apache2: '/usr/sbin/apache2',
  haproxy: '/usr/sbin/haproxy',
  caddy: '/usr/bin/caddy',
  chromium: '/usr/bin/chromium',
  wrk: '/usr/bin/wrk',
}
const missing = Object.keys(debianPackages).filter((name) => !existsSync(debianPackages[name]))
if (missing.length) {
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`
  if (isRoot && hasApt) {
    say(`installing Debian packages: ${missing.join(', ')}`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    const ok =
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status === 0 &&
      spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
        stdio: 'inherit',
        env,
      }).status === 0
    if (!ok) problems.push(`could not install ${missing.join(', ')}. Run: ${command}`)
  } else {
    problems.push(`missing Debian packages ${missing.join(', ')}. Run as root: ${command}`)
  }
}

/**
 * Services. The start commands are the ones this machine kind documents.
 */
function postgresStart() {
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : []
  if (!versions.length) return false
  return run('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0], 'main', 'start'])
}

const services = [
  {
    name: 'PostgreSQL',
    port: 5432,
    start: postgresStart,
    hint: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  {
    name: 'MariaDB',
    port: 3306,
    start: () =>
      run('start-stop-daemon', [
        '--start',
        '--oknodo',
        '--background',
        '--exec',
        '/usr/sbin/mariadbd',
      ]),
    hint: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  },
  {
    name: 'Redis',
    port: 6379,
    start: () =>
      run('redis-server', [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '-::1',
        '--port',
        '6379',
        '--save',
        '',
        '--appendonly',
        'no',
      ]),
    hint: 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
  },
]

for (const service of services) {
  if (await isListening(service.port)) continue
  say(`${service.name} is not listening on 127.0.0.1:${service.port}; starting it`)
  let started = false
  try {
    started = service.start() && (await waitFor(service.port, 30))
  } catch {
    started = false
  }
  if (started) {
    say(`${service.name} started`)
  } else {
    problems.push(`${service.name} is down on 127.0.0.1:${service.port}. Run: ${service.hint}`)
  }
}

/**
 * The test databases (both servers ship a `test` database on this machine
 * kind; create it where it is missing).
 */
if (await isListening(5432)) {
  try {
    const exists = execFileSync(
      'psql',
      [
        '-h',
        '127.0.0.1',
        '-U',
        'postgres',
        '-tAc',
        "SELECT 1 FROM pg_database WHERE datname='test'",
      ],
      { encoding: 'utf8' }
    ).trim()
    if (exists !== '1') {
      say('creating PostgreSQL database "test"')
      execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-c', 'CREATE DATABASE test'])
    }
  } catch (error) {
    problems.push(
      `cannot reach PostgreSQL as postgres (${(error as Error).message.split('\n')[0]}). Run: psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE test'`
    )
  }
}
if (await isListening(3306)) {
  try {
    execFileSync('mariadb', [
      '-h',
      '127.0.0.1',
      '-u',
      'root',
      '-e',
      'CREATE DATABASE IF NOT EXISTS test',
    ])
  } catch (error) {
    problems.push(
      `cannot reach MariaDB as root (${(error as Error).message.split('\n')[0]}). Run: mariadb -h 127.0.0.1 -u root -e 'CREATE DATABASE IF NOT EXISTS test'`
    )
  }
}

if (problems.length) {
  for (const problem of problems) console.error(`[setup] FAILED: ${problem}`)
  process.exit(1)
}
say('Node 24, PostgreSQL, MariaDB, Redis and the web servers are ready')
