/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { availableParallelism, totalmem } from 'node:os'
import { promisify } from 'node:util'

const run = promisify(execFile)

async function version(command: string, args: string[]) {
  try {
    const { stdout } = await run(command, args, { timeout: 5000 })
    return stdout.trim().split('\n')[0]
  } catch {
    return 'unknown'
  }
}

/**
 * What the numbers were measured on
 */
export async function machine() {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown'
  return {
    nproc: availableParallelism(),
    cpu: model,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    postgresql: await version('psql', ['--version']),
    mariadb: await version('mysql', ['--version']),
    redis: await version('redis-server', ['--version']),
  }
}
