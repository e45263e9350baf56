/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { createHash, createHmac } from 'node:crypto'

/**
 * What the state keeps of a bypass secret: an HMAC-SHA256 keyed with the
 * app's APP_KEY, so a leaked state record does not let anyone test
 * guesses offline; a plain SHA-256 only where no key is configured
 */
export function hashSecret(secret: string, key: string | null): string {
  if (!key) return createHash('sha256').update(secret).digest('hex')
  return createHmac('sha256', key).update(`site-maintenance:secret:${secret}`).digest('hex')
}
