/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { closeSync, openSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  renderHaproxyLua,
  renderSnippet,
  webServerBypassValue,
} from '../../src/web_servers/main.ts'
import type { WebServer, WebServerOptions } from '../../src/web_servers/main.ts'
import { freePort } from '../../support/free_port.ts'

/**
 * The maintenance page every test serves, and one asset
 */
export const PAGE_HTML = '<!doctype html><title>Down for maintenance</title><h1>Back soon</h1>\n'
export const PAGE_CSS = 'h1 { color: teal }\n'
export const BYPASS = { secret: 'Kp3x_Vq9-Lm2Tz7Rw4Yb8Nc1Hd6Gf5Js0', cookie: 'site_maintenance_ws' }
export const BYPASS_VALUE = webServerBypassValue(BYPASS.secret)

export type RecordedRequest = { method: string; url: string; headers: IncomingHttpHeaders }

/**
 * The app behind the web server: a `node:http` server that records what
 * it receives and answers 200 "upstream <url>". It can be stopped and
 * started again on the same port.
 */
export async function startUpstream() {
  const port = await freePort()
  const requests: RecordedRequest[] = []
  let server: Server | null = null

  async function start() {
    server = createServer((request, response) => {
      requests.push({ method: request.method!, url: request.url!, headers: request.headers })
      request.resume()
      request.on('end', () => {
        if (request.url === `/${BYPASS.secret}`) {
          response.writeHead(302, {
            'location': '/',
            'set-cookie': 'site_maintenance_bypass=signed-by-the-app; Path=/',
            'content-length': 0,
          })
          response.end()
          return
        }
        const body = `upstream ${request.url}`
        response.writeHead(200, {
          'content-type': 'text/plain',
          'content-length': Buffer.byteLength(body),
        })
        response.end(request.method === 'HEAD' ? undefined : body)
      })
    })
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject)
      server!.listen(port, '127.0.0.1', () => resolve())
    })
  }

  async function stop() {
    if (!server) return
    const current = server
    server = null
    current.closeAllConnections()
    await new Promise<void>((resolve) => current.close(() => resolve()))
  }

  await start()
  return { port, requests, start, stop }
}

export type Upstream = Awaited<ReturnType<typeof startUpstream>>

export type RawResponse = {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * One HTTP/1.1 request written by hand, so the path reaches the server
 * byte for byte (no client normalises it). Headers may repeat.
 */
export function rawRequest(
  port: number,
  options: {
    method?: string
    path?: string
    headers?: Array<[string, string]>
    body?: string
    localAddress?: string
  } = {}
): Promise<RawResponse> {
  const method = options.method ?? 'GET'
  const lines = [
    `${method} ${options.path ?? '/'} HTTP/1.1`,
    `Host: localhost:${port}`,
    'Connection: close',
    ...(options.headers ?? []).map(([name, value]) => `${name}: ${value}`),
  ]
  if (options.body !== undefined) lines.push(`Content-Length: ${Buffer.byteLength(options.body)}`)
  const request = `${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ host: '127.0.0.1', port, localAddress: options.localAddress })
    socket.setTimeout(5000, () =>
      socket.destroy(new Error(`No answer to ${method} ${options.path}`))
    )
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks), method))
      } catch (error) {
        reject(error)
      }
    })
  })
}

function parseResponse(raw: Buffer, method: string): RawResponse {
  const text = raw.toString('latin1')
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) throw new Error(`Incomplete response: ${JSON.stringify(text)}`)
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n')
  const status = Number(statusLine.split(' ')[1])
  const headers: Record<string, string> = {}
  for (const line of headerLines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers[name] = headers[name] ? `${headers[name]}, ${value}` : value
  }
  let body = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'))
  if (method !== 'HEAD' && headers['transfer-encoding']?.includes('chunked')) {
    const parts: Buffer[] = []
    let offset = 0
    while (offset < body.length) {
      const lineEnd = body.indexOf('\r\n', offset)
      const size = Number.parseInt(body.subarray(offset, lineEnd).toString(), 16)
      if (!size) break
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size))
      offset = lineEnd + 2 + size + 2
    }
    body = Buffer.concat(parts)
  }
  return { status, headers, body: body.toString('utf8') }
}

/**
 * A temporary tree: the app (lock file under tmp/maintenance, page under
 * public/maintenance) and a directory for the server's config and logs.
 * Directories are world-readable because nginx and Apache workers run as
 * nobody when the tests run as root.
 */
export async function createSite() {
  const root = await mkdtemp(join(tmpdir(), 'site-maintenance-ws-'))
  const pageDir = join(root, 'app/public')
  const lockFile = join(root, 'app/tmp/maintenance/down')
  const serverDir = join(root, 'server')
  await mkdir(join(pageDir, 'maintenance'), { recursive: true })
  await mkdir(join(root, 'app/tmp/maintenance'), { recursive: true })
  await mkdir(serverDir, { recursive: true })
  await writeFile(join(pageDir, 'maintenance/index.html'), PAGE_HTML)
  await writeFile(join(pageDir, 'maintenance/style.css'), PAGE_CSS)
  for (const directory of [
    root,
    join(root, 'app'),
    join(root, 'app/public'),
    join(pageDir, 'maintenance'),
    join(root, 'app/tmp'),
    join(root, 'app/tmp/maintenance'),
    serverDir,
  ]) {
    await chmod(directory, 0o755)
  }
  return {
    root,
    pageDir,
    lockFile,
    serverDir,
    lock: async (contents = '{"status":"offline"}\n', mode = 0o644) => {
      await rm(lockFile, { recursive: true, force: true })
      await writeFile(lockFile, contents, { mode })
      await chmod(lockFile, mode)
    },
    unlock: () => rm(lockFile, { recursive: true, force: true }),
    remove: () => rm(root, { recursive: true, force: true }),
  }
}

export type Site = Awaited<ReturnType<typeof createSite>>

/**
 * One instance of the snippet inside the standalone config: its port and
 * the options it is rendered with
 */
export type Instance = { port: number; options: WebServerOptions }

type Standalone = {
  command: string
  check: string[]
  run: string[]
  env?: NodeJS.ProcessEnv
  files: Record<string, string>
}

/**
 * The minimal standalone config around the snippets, per server: its own
 * pid, logs and temp paths, loopback listeners only.
 */
function standalone(
  server: WebServer,
  dir: string,
  instances: Instance[],
  upstreamPort: number
): Standalone {
  const snippets = instances.map((instance) => renderSnippet(server, instance.options))
  const files: Record<string, string> = {}
  const conf = join(dir, 'server.conf')

  if (server === 'nginx') {
    snippets.forEach((snippet, index) => (files[join(dir, `snippet_${index}.conf`)] = snippet))
    files[conf] = [
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log info;`,
      'worker_processes 1;',
      'events { worker_connections 128; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      '  default_type application/octet-stream;',
      `  access_log ${dir}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
        (name) => `  ${name}_temp_path ${dir}/${name}_temp;`
      ),
      ...instances.map(
        (instance, index) =>
          `  server { listen 127.0.0.1:${instance.port}; server_name localhost; include ${dir}/snippet_${index}.conf; }`
      ),
      '}',
      '',
    ].join('\n')
    const base = ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', conf]
    return {
      command: '/usr/sbin/nginx',
      check: ['-t', ...base],
      run: [...base, '-g', 'daemon off;'],
      files,
    }
  }

  if (server === 'apache') {
    const modules = [
      'mpm_event',
      'authz_core',
      'mime',
      'alias',
      'rewrite',
      'headers',
      'remoteip',
      'proxy',
      'proxy_http',
    ]
    snippets.forEach((snippet, index) => (files[join(dir, `snippet_${index}.conf`)] = snippet))
    files[conf] = [
      `ServerRoot ${dir}`,
      `DefaultRuntimeDir ${dir}/run`,
      `PidFile ${dir}/apache.pid`,
      `ErrorLog ${dir}/error.log`,
      'LogLevel warn',
      'ServerName localhost',
      ...modules.map((name) => `LoadModule ${name}_module /usr/lib/apache2/modules/mod_${name}.so`),
      'TypesConfig /etc/mime.types',
      ...(process.getuid?.() === 0 ? ['User nobody', 'Group nogroup'] : []),
      ...instances.flatMap((instance, index) => [
        `Listen 127.0.0.1:${instance.port}`,
        `<VirtualHost 127.0.0.1:${instance.port}>`,
        `  Include ${dir}/snippet_${index}.conf`,
        '</VirtualHost>',
      ]),
      '',
    ].join('\n')
    files[join(dir, 'run/.keep')] = ''
    return {
      command: '/usr/sbin/apache2',
      check: ['-t', '-f', conf],
      run: ['-f', conf, '-DFOREGROUND'],
      files,
    }
  }

  if (server === 'haproxy') {
    const luaFile = instances[0].options.luaFile!
    files[luaFile] = renderHaproxyLua()
    files[conf] = [
      'global',
      '  noreuseport',
      `  lua-load ${luaFile}`,
      // As packaged: the workers run as an unprivileged user, not root
      ...(process.getuid?.() === 0 ? ['  user nobody', '  group nogroup'] : []),
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 10s',
      '  timeout server 10s',
      ...instances.flatMap((instance, index) => [
        `frontend site_${index}`,
        `  bind 127.0.0.1:${instance.port}`,
        ...snippets[index]
          .trimEnd()
          .split('\n')
          .map((line) => `  ${line}`),
        '  default_backend app',
      ]),
      'backend app',
      '  option forwardfor',
      `  server app1 127.0.0.1:${upstreamPort}`,
      '',
    ].join('\n')
    return {
      command: '/usr/sbin/haproxy',
      check: ['-c', '-f', conf],
      run: ['-db', '-f', conf],
      files,
    }
  }

  snippets.forEach((snippet, index) => (files[join(dir, `snippet_${index}.caddy`)] = snippet))
  files[conf] = [
    '{',
    '\tadmin off',
    '\tauto_https off',
    '}',
    ...instances.flatMap((instance, index) => [
      `http://:${instance.port} {`,
      '\tbind 127.0.0.1',
      `\timport ${dir}/snippet_${index}.caddy`,
      '}',
    ]),
    '',
  ].join('\n')
  const env = {
    ...process.env,
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
  }
  const base = ['--config', conf, '--adapter', 'caddyfile']
  return {
    command: '/usr/bin/caddy',
    check: ['validate', ...base],
    run: ['run', ...base, '--pidfile', join(dir, 'caddy.pid')],
    env,
    files,
  }
}

async function isListening(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * Write the standalone config around the snippets and validate it with the
 * server's own check (`nginx -t`, `apache2 -t`, `haproxy -c`, `caddy validate`)
 */
export async function writeAndCheck(
  server: WebServer,
  site: Site,
  instances: Instance[],
  upstreamPort: number
) {
  const dir = site.serverDir
  const config = standalone(server, dir, instances, upstreamPort)
  for (const [path, contents] of Object.entries(config.files)) {
    await mkdir(join(path, '..'), { recursive: true })
    await writeFile(path, contents)
  }
  const checked = spawnSync(config.command, config.check, { env: config.env, encoding: 'utf8' })
  if (checked.status !== 0) {
    throw new Error(
      `${server} rejected its config (${config.command} ${config.check.join(' ')}):\n${checked.stdout}${checked.stderr}\n${Object.values(config.files).join('\n')}`
    )
  }
  return config
}

/**
 * Validate the config, start the server in the foreground and wait (10 s
 * at most) until every instance port answers. Fails with the server's log
 * otherwise. `stop` kills only the process started here, by pid.
 */
export async function startWebServer(
  server: WebServer,
  site: Site,
  instances: Instance[],
  upstreamPort: number
) {
  for (const instance of instances) {
    if (await isListening(instance.port)) {
      throw new Error(`Port ${instance.port} is already in use`)
    }
  }
  const dir = site.serverDir
  const config = await writeAndCheck(server, site, instances, upstreamPort)

  const logFile = join(dir, 'output.log')
  const fd = openSync(logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(config.command, config.run, { env: config.env, stdio: ['ignore', fd, fd] })
  } finally {
    closeSync(fd)
  }
  let exited = false
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true
      resolve()
    })
  )

  const readLogs = async () => {
    const parts: string[] = []
    for (const name of ['output.log', 'error.log']) {
      parts.push(await readFile(join(dir, name), 'utf8').catch(() => ''))
    }
    return parts.join('\n')
  }

  async function stop() {
    if (exited || !child.pid) return
    child.kill('SIGTERM')
    const timedOut = await Promise.race([exit.then(() => false), sleep(5000).then(() => true)])
    if (timedOut) {
      child.kill('SIGKILL')
      await exit
    }
  }

  const deadline = Date.now() + 10_000
  for (const instance of instances) {
    while (!(await isListening(instance.port))) {
      if (exited || Date.now() > deadline) {
        await stop()
        throw new Error(
          `${server} did not start listening on 127.0.0.1:${instance.port} within 10 s${exited ? ' (it exited)' : ''}:\n${await readLogs()}`
        )
      }
      await sleep(25)
    }
  }

  return { pid: child.pid!, stop, readLogs }
}
