/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { renderSnippet } from '../../src/web_servers/main.ts'
import { freePort } from '../../support/free_port.ts'
import { onCpu, treeCpuMicroseconds } from './cpu.ts'
import { sleep } from './stats.ts'

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path)) ?? null

function listening(port: number) {
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
 * nginx serving the package's `offline:snippet nginx` output on a free
 * loopback port: one worker, its own prefix, pid, log and temp paths, no
 * access log (the app logs no line per answer either). Run as the user
 * `nobody` when the bench runs as root, so no process of it is root.
 * `cpu` pins the master and, through it, the worker.
 */
export class Nginx {
  readonly port: number
  #child: ChildProcess
  #directory: string

  private constructor(port: number, child: ChildProcess, directory: string) {
    this.port = port
    this.#child = child
    this.#directory = directory
  }

  static async start(options: {
    lockFile: string
    pageDir: string
    upstream: string
    cpu?: string
  }): Promise<Nginx> {
    if (!NGINX) throw new Error('nginx is not installed')
    const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-nginx-'))
    const port = await freePort()
    const snippet = renderSnippet('nginx', {
      lockFile: options.lockFile,
      pageDir: options.pageDir,
      upstream: options.upstream,
    })
    const conf = join(directory, 'nginx.conf')
    await writeFile(join(directory, 'snippet.conf'), snippet)
    await writeFile(
      conf,
      [
        `pid ${directory}/nginx.pid;`,
        `error_log ${directory}/error.log warn;`,
        'worker_processes 1;',
        'events { worker_connections 1024; }',
        'http {',
        '  include /etc/nginx/mime.types;',
        '  default_type application/octet-stream;',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (name) => `  ${name}_temp_path ${directory}/${name}_temp;`
        ),
        `  server { listen 127.0.0.1:${port}; server_name localhost; include ${directory}/snippet.conf; }`,
        '}',
        '',
      ].join('\n')
    )
    const base = ['-p', `${directory}/`, '-e', `${directory}/error.log`, '-c', conf]
    let command = NGINX
    let prefix: string[] = []
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }))
      const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }))
      await chmod(directory, 0o755)
      await chown(directory, uid, gid)
      command = 'setpriv'
      prefix = [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', NGINX]
    }
    const checked = spawnSync(command, [...prefix, '-t', ...base], { encoding: 'utf8' })
    if (checked.status !== 0) {
      await rm(directory, { recursive: true, force: true })
      throw new Error(`nginx rejected its config:\n${checked.stderr}\n${snippet}`)
    }
    const run = onCpu(options.cpu, command, [...prefix, ...base, '-g', 'daemon off;'])
    const child = spawn(run.command, run.args, { stdio: ['ignore', 'ignore', 'inherit'] })
    const server = new Nginx(port, child, directory)
    const deadline = Date.now() + 10_000
    while (!(await listening(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        const log = await readFile(join(directory, 'error.log'), 'utf8').catch(() => '')
        await server.stop()
        throw new Error(`nginx did not listen on 127.0.0.1:${port}:\n${log}`)
      }
      await sleep(25)
    }
    return server
  }

  url(path: string) {
    return `http://127.0.0.1:${this.port}${path}`
  }

  /**
   * The master and its worker
   */
  cpuMicroseconds() {
    return treeCpuMicroseconds(this.#child.pid!)
  }

  async stop() {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve))
      this.#child.kill('SIGTERM')
      if ((await Promise.race([exited, sleep(5000).then(() => 'timeout')])) === 'timeout') {
        this.#child.kill('SIGKILL')
        await exited
      }
    }
    await rm(this.#directory, { recursive: true, force: true })
  }
}
