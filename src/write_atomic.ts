/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'

/**
 * What the file store keeps (the state with the secret's hash and nonce,
 * the sessions' user ids, the tasks' requesters): its owner only
 */
export const PRIVATE_FILE = 0o600

/**
 * What the web server reads as another user: the lock file, the static
 * page
 */
export const PUBLIC_FILE = 0o644

/**
 * Write a file atomically: a temporary sibling, then rename over the
 * target, so a reader never sees half a file. The file gets exactly
 * `mode`, from its creation on: the temporary file is created with it,
 * so a rewrite never widens it, not even for a moment. The mode given
 * to open() is reduced by the umask (0600 under umask 077), which would
 * hide the lock file and the static page from a web server running as
 * another user, so it is set again with chmod.
 */
export async function writeAtomic(path: string, contents: string, mode: number) {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const handle = await open(temp, 'w', mode)
  try {
    await handle.chmod(mode)
    await handle.writeFile(contents)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}
