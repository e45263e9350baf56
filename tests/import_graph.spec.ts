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
import { test } from '@japa/runner'

const ROOT = fileURLToPath(new URL('../', import.meta.url))

/**
 * The modules a source file loads at run time: static and dynamic
 * imports and re-exports, without `import type` (erased by the compiler)
 */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8')
  const found: string[] = []
  const patterns = [
    /^\s*import\s+(?!type\b)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm,
    /^\s*export\s+(?!type\b)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) found.push(match[1])
  }
  return found
}

/**
 * Every module reached from `entry`, relative ones by path, the others by
 * their specifier; with the chain that first reached each
 */
function graph(entry: string) {
  const reached = new Map<string, string[]>()
  const walk = (file: string, chain: string[]) => {
    for (const specifier of importsOf(file)) {
      const key = specifier.startsWith('.') ? resolve(dirname(file), specifier) : specifier
      if (reached.has(key)) continue
      const path = [...chain, relative(ROOT, file)]
      reached.set(key, path)
      if (specifier.startsWith('.')) walk(key, path)
    }
  }
  walk(resolve(ROOT, entry), [])
  return reached
}

test.group('Import graph', () => {
  test('the request path loads no store and no node:fs', ({ assert }) => {
    const reached = new Map<string, string[]>()
    for (const entry of [
      'src/request_path/maintenance_middleware.ts',
      'src/request_path/maintenance_gate.ts',
      'src/request_path/early_answer.ts',
    ]) {
      for (const [module, chain] of graph(entry)) reached.set(module, chain)
    }
    const offenders = [...reached].filter(
      ([module]) =>
        /^(node:)?fs(\/promises)?$/.test(module) || module.includes(`${ROOT}src/stores/`)
    )
    assert.deepEqual(
      offenders.map(
        ([module, chain]) => `${relative(ROOT, module) || module} via ${chain.join(' → ')}`
      ),
      []
    )
    assert.isTrue(
      reached.has(resolve(ROOT, 'src/request_path/presence_marker.ts')),
      'the walk follows imports'
    )
    assert.isTrue(reached.has('@adonisjs/core'), 'and records packages')
  })

  test('no import loops among the package modules', ({ assert }) => {
    const entries = [
      'index.ts',
      'providers/maintenance_provider.ts',
      'src/request_path/maintenance_middleware.ts',
      'services/main.ts',
      'configure.ts',
    ]
    const loops: string[] = []
    const visiting: string[] = []
    const done = new Set<string>()
    const visit = (file: string) => {
      if (done.has(file)) return
      const at = visiting.indexOf(file)
      if (at !== -1) {
        loops.push([...visiting.slice(at), file].map((f) => relative(ROOT, f)).join(' → '))
        return
      }
      visiting.push(file)
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
      }
      visiting.pop()
      done.add(file)
    }
    for (const entry of entries) visit(resolve(ROOT, entry))
    assert.deepEqual(loops, [])
  })
})
