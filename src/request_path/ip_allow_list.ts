/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import ipaddr from 'ipaddr.js'
import debug from '../debug.ts'

type Address = ipaddr.IPv4 | ipaddr.IPv6

/**
 * IP addresses and CIDR ranges let through. Built once per state (the
 * entries are parsed here, not per request); IPv4-mapped IPv6 addresses
 * ("::ffff:10.0.0.1") match their IPv4 entries.
 */
export class IpAllowList {
  #ranges: [Address, number][] = []

  constructor(entries: Iterable<string>) {
    for (const entry of entries) {
      try {
        if (entry.includes('/')) {
          const [address, bits] = ipaddr.parseCIDR(entry)
          this.#ranges.push(unmap(address, bits))
        } else {
          const address = ipaddr.process(entry)
          this.#ranges.push([address, address.kind() === 'ipv4' ? 32 : 128])
        }
      } catch {
        debug('ignoring invalid allow entry %s', entry)
      }
    }
  }

  get isEmpty() {
    return this.#ranges.length === 0
  }

  /**
   * Whether the client IP (as `request.ip()` reports it) is allowed
   */
  matches(ip: string | undefined | null): boolean {
    if (!ip || this.#ranges.length === 0) return false
    let address: Address
    try {
      address = ipaddr.process(ip)
    } catch {
      return false
    }
    const kind = address.kind()
    for (const [range, bits] of this.#ranges) {
      if (range.kind() === kind && address.match(range, bits)) return true
    }
    return false
  }
}

/**
 * "::ffff:10.0.0.0/104" is the IPv4 range 10.0.0.0/8
 */
function unmap(address: Address, bits: number): [Address, number] {
  if (address.kind() === 'ipv6' && bits >= 96) {
    const v6 = address as ipaddr.IPv6
    if (v6.isIPv4MappedAddress()) return [v6.toIPv4Address(), bits - 96]
  }
  return [address, bits]
}
