/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import type { RunningServer } from './fixture_processes.ts'

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
