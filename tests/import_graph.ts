/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import { readFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../', import.meta.url))

/**
 * The modules a source or built file loads at run time: static and
 * (unless `dynamic` is false) dynamic imports and re-exports, without
 * `import type` (erased by the compiler). With `types`, `import type` and
 * `export type` count too: a module's dependencies, not only what it loads.
 */
export function importsOf(file: string, { types = false, dynamic = true } = {}): string[] {
  const source = readFileSync(file, 'utf8')
  const found: string[] = []
  const kind = types ? '(?:type\\s+)?' : '(?!type\\b)'
  const patterns = [
    new RegExp(`^\\s*import\\s+${kind}(?:[^'"]*?\\sfrom\\s+)?['"]([^'"]+)['"]`, 'gm'),
    new RegExp(`^\\s*export\\s+${kind}[^'"]*?\\sfrom\\s+['"]([^'"]+)['"]`, 'gm'),
    ...(dynamic ? [/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g] : []),
  ]
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1])
  }
  return found
}

/**
 * Every module reached from the `entries`, relative ones by path, the
 * others by their specifier; with the chain that first reached each.
 * With `dynamic` false, what loading the entries alone loads.
 */
export function graph(entries: string[], root: string = ROOT, dynamic = true) {
  const reached = new Map<string, string[]>()
  const walk = (file: string, chain: string[]) => {
    for (const specifier of importsOf(file, { dynamic })) {
      const key = specifier.startsWith('.') ? resolve(dirname(file), specifier) : specifier
      if (reached.has(key)) continue
      const path = [...chain, relative(root, file)]
      reached.set(key, path)
      if (specifier.startsWith('.')) walk(key, path)
    }
  }
  for (const entry of entries) walk(resolve(root, entry), [])
  return reached
}

/**
 * What the request path must never load: a store or the file system.
 * Listed as "module via chain", empty when the graph is clean.
 */
export function requestPathOffenders(reached: Map<string, string[]>, root: string = ROOT) {
  return [...reached]
    .filter(
      ([module]) => /^(node:)?fs(\/promises)?$/.test(module) || module.includes('/src/stores/')
    )
    .map(([module, chain]) => `${relative(root, module) || module} via ${chain.join(' → ')}`)
}
