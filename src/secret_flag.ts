/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes } from 'node:crypto'

/**
 * The bypass secret a `--secret` flag stands for, read the same way by
 * offline:on and offline:snippet, so it never has to be in argv (`ps`,
 * the shell history): "-" reads the first line of stdin
 * (`pass show site | node ace offline:on --secret=-`), an empty value
 * takes $MAINTENANCE_SECRET or generates one, anything else is the
 * secret itself. `generated` asks the command to show it once.
 */
export async function secretFromFlag(
  flag: string | undefined
): Promise<{ secret: string | undefined; generated: boolean }> {
  if (flag === '-') return { secret: await readStdinLine(), generated: false }
  if (flag === '' && process.env.MAINTENANCE_SECRET) {
    return { secret: process.env.MAINTENANCE_SECRET, generated: false }
  }
  /**
   * 40 characters: long enough for the web servers' bypass too
   */
  if (flag === '') return { secret: randomBytes(30).toString('base64url'), generated: true }
  return { secret: flag, generated: false }
}

/**
 * The first line of stdin
 */
async function readStdinLine(): Promise<string> {
  let data = ''
  for await (const chunk of process.stdin) {
    data += chunk
    if (data.includes('\n')) break
  }
  return data.split(/\r?\n/)[0].trim()
}
