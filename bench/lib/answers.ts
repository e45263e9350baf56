/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../support/free_port.ts'
import { cpuMicroseconds, onCpu } from './cpu.ts'
import { sleep } from './stats.ts'

/**
 * One answer as it went over the wire: the status line, the header lines
 * in order and with their case, the body
 */
export interface RawAnswer {
  status: number
  reason: string
  headers: [string, string][]
  body: Buffer
}

/**
 * Headers Node.js writes by itself on every answer: the replay lets it
 * write them again rather than copying them
 */
const NODE_OWN = new Set(['date', 'connection', 'keep-alive'])

/**
 * A GET on a keep-alive connection, as wrk sends it (`Host`, then the
 * given headers), read up to the end of its fixed-length body
 */
export function rawAnswer(
  port: number,
  path: string,
  headers: Record<string, string>
): Promise<RawAnswer> {
  const request = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n')
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0)
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(request))
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer on :${port}${path}`)))
    socket.on('error', reject)
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      const end = received.indexOf('\r\n\r\n')
      if (end === -1) return
      const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n')
      const match = /^HTTP\/1\.1 (\d{3}) (.*)$/.exec(statusLine)
      const fields = lines.map((line): [string, string] => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon), line.slice(colon + 1).trim()]
      })
      const length = fields.find(([name]) => name.toLowerCase() === 'content-length')
      if (!match || !length) {
        socket.destroy()
        reject(new Error(`no fixed-length answer on :${port}${path}: ${statusLine}`))
        return
      }
      const body = received.subarray(end + 4)
      if (body.length < Number(length[1])) return
      socket.destroy()
      resolve({ status: Number(match[1]), reason: match[2], headers: fields, body })
    })
  })
}

/**
 * What differs between two answers, Date aside; null when nothing does
 */
export function answerDifference(a: RawAnswer, b: RawAnswer): string | null {
  const lines = (answer: RawAnswer) => [
    `${answer.status} ${answer.reason}`,
    ...answer.headers
      .filter(([name]) => name.toLowerCase() !== 'date')
      .map(([name, value]) => `${name}: ${value}`),
  ]
  const [left, right] = [lines(a), lines(b)]
  for (let index = 0; index < Math.max(left.length, right.length); index++) {
    if (left[index] !== right[index]) return `"${left[index]}" against "${right[index]}"`
  }
  return a.body.equals(b.body) ? null : `bodies of ${a.body.length} and ${b.body.length} bytes`
}

/**
 * A bare Node.js server (bare_server.ts) replaying `answer`, on a free
 * loopback port, on `cpu` when given
 */
export class BareNode {
  readonly port: number
  #child: ChildProcess
  #directory: string

  private constructor(port: number, child: ChildProcess, directory: string) {
    this.port = port
    this.#child = child
    this.#directory = directory
  }

  static async start(answer: RawAnswer, cpu?: string): Promise<BareNode> {
    const directory = await mkdtemp(join(tmpdir(), 'site-maintenance-bare-'))
    const file = join(directory, 'answer.json')
    const keepAlive = answer.headers.find(([name]) => name.toLowerCase() === 'keep-alive')
    const timeout = keepAlive ? /timeout=(\d+)/.exec(keepAlive[1]) : null
    await writeFile(
      file,
      JSON.stringify({
        status: answer.status,
        reason: answer.reason,
        headers: answer.headers.filter(([name]) => !NODE_OWN.has(name.toLowerCase())),
        body: answer.body.toString('utf8'),
        keepAliveTimeout: timeout ? Number(timeout[1]) * 1000 : null,
      })
    )
    const port = await freePort()
    const command = onCpu(cpu, process.execPath, [
      fileURLToPath(new URL('bare_server.ts', import.meta.url)),
      String(port),
      file,
    ])
    const child = spawn(command.command, command.args, { stdio: ['ignore', 'pipe', 'inherit'] })
    const server = new BareNode(port, child, directory)
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve())
        child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)))
      })
    } catch (error) {
      await server.stop()
      throw error
    }
    return server
  }

  get pid() {
    return this.#child.pid!
  }

  url(path: string) {
    return `http://127.0.0.1:${this.port}${path}`
  }

  cpuMicroseconds() {
    return cpuMicroseconds(this.pid)
  }

  async stop() {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((resolve) => this.#child.once('exit', resolve))
      this.#child.kill('SIGKILL')
      await Promise.race([exited, sleep(5000)])
    }
    await rm(this.#directory, { recursive: true, force: true })
  }
}
