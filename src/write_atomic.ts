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
 * Write a file atomically: a temporary sibling, then rename over the
 * target, so a reader never sees half a file. The file gets exactly
 * `mode`: the mode given to open() is reduced by the umask (0600 under
 * umask 077), which would hide the lock file and the static page from a
 * web server running as another user, so it is set again with chmod.
 */
export async function writeAtomic(path: string, contents: string, mode = 0o644) {
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
