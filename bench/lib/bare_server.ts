/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * A bare Node.js HTTP server replaying one answer of the app, byte for
 * byte but for the Date header, with no framework at all: the physical
 * limit of an answer written by Node.js, and the control of the soak.
 * It writes the answer as the app's early answer does (`writeHead` with
 * a flat list of names and values, then `end` with a string). Run by Node's own type stripping
 * (no loader): `node bare_server.ts <port> <answer.json>`, where the file
 * holds `{ reason, status, headers: [name, value][], body, keepAliveTimeout }`
 * (see answers.ts). Prints "listening" once it does.
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'

const [port, file] = process.argv.slice(2)
const answer = JSON.parse(readFileSync(file, 'utf8')) as {
  status: number
  reason: string
  headers: [string, string][]
  body: string
  keepAliveTimeout: number | null
}
const { status, reason, body } = answer
const headers = answer.headers.flat()

const server = createServer((_req, res) => {
  res.writeHead(status, reason, headers)
  res.end(body)
})
if (answer.keepAliveTimeout !== null) server.keepAliveTimeout = answer.keepAliveTimeout
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'))
