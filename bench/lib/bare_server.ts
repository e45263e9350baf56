/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * The control of the soak: a bare Node.js HTTP server writing a fixed 503
 * of the same size as the maintenance page, with no framework at all.
 * Run by Node's own type stripping (no loader): `node bare_server.ts <port> <bytes>`
 */
import { createServer } from 'node:http'

const [port, bytes] = process.argv.slice(2).map(Number)
const body = `<!DOCTYPE html>${'x'.repeat(Math.max(0, bytes - 15))}`
const headers = {
  'Cache-Control': 'no-store',
  'Retry-After': '60',
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Length': Buffer.byteLength(body),
}

createServer((_req, res) => {
  res.writeHead(503, headers)
  res.end(body)
}).listen(port, '127.0.0.1', () => process.stdout.write('listening\n'))
