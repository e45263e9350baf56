/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import ipaddr from 'ipaddr.js'
import * as errors from './errors.ts'

const IPV4_PART = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const STRICT_IPV4 = new RegExp(`^${IPV4_PART}(?:\\.${IPV4_PART}){3}$`)

/**
 * An IP or CIDR in canonical form; anything else is a clear error
 */
export function normaliseAllowEntry(entry: string): string {
  /**
   * The command-line parser turns "--allow=10.1" into a number
   */
  const value = String(entry).trim()
  const [host, prefixLength] = value.split('/')
  /**
   * ipaddr.js reads "010.0.0.1" as octal (8.0.0.1) and accepts fewer than
   * four parts: an IPv4 address here is four decimal parts, no leading zero
   */
  if (/^[\d.]+$/.test(host) && !STRICT_IPV4.test(host)) {
    throw new errors.E_INVALID_ALLOW_ENTRY([entry])
  }
  if (prefixLength !== undefined && !/^(0|[1-9]\d{0,2})$/.test(prefixLength)) {
    throw new errors.E_INVALID_ALLOW_ENTRY([entry])
  }
  try {
    if (value.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(value)
      return `${address.toString()}/${bits}`
    }
    return ipaddr.parse(value).toString()
  } catch {
    throw new errors.E_INVALID_ALLOW_ENTRY([entry])
  }
}
