/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * The TypeScript loader of the fixture app's processes (tests/fixture_app.ts):
 * @poppinss/ts-exec's transform (SWC, with the same options from the same
 * tsconfig.json), run as in-thread hooks (module.registerHooks) rather than
 * ts-exec's off-thread ones. Off-thread, every resolve and load of every
 * module, node_modules included, is a round trip to the hooks thread: about
 * half of an Ace process's boot. What the modules become is the same.
 *
 * Plain, erasable TypeScript: Node 24 strips its types itself.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type JscTarget, transformSync, version as swcVersion } from '@swc/core'
import { getTsconfig } from 'get-tsconfig'

process.setSourceMapsEnabled(true)

const tsConfig = getTsconfig(process.env.TS_EXEC_PWD ?? process.cwd())?.config
const options = tsConfig?.compilerOptions ?? {}
const target = options.target?.toLowerCase()

/**
 * As ts-exec's tsConfigToSwcConfig()
 */
const swcConfig = {
  sourceMaps: options.sourceMap ?? true,
  jsc: {
    target: (target ? (target === 'es6' ? 'esnext' : target) : 'esnext') as JscTarget,
    baseUrl: options.baseUrl,
    externalHelpers: false,
    parser: {
      syntax: 'typescript' as const,
      tsx: !!options.jsx,
      decorators: true,
      dynamicImport: true,
    },
    transform: {
      ...(options.emitDecoratorMetadata ? { decoratorMetadata: true } : {}),
      ...(options.experimentalDecorators ? { legacyDecorator: true } : {}),
      ...(options.verbatimModuleSyntax ? { verbatimModuleSyntax: true } : {}),
      ...(options.useDefineForClassFields ? { useDefineForClassFields: true } : {}),
      react: {
        runtime: 'automatic' as const,
        ...(options.jsxImportSource ? { importSource: options.jsxImportSource } : {}),
      },
    },
    experimental: { keepImportAttributes: true },
    keepClassNames: true,
  },
}

/**
 * Transforms already made, on disk, keyed by everything that shapes one (the
 * file, its source, the options, SWC's version): a process of the suite
 * transforms only what no earlier process did
 */
const CACHE = join(import.meta.dirname, '..', 'tmp', 'ts-hooks-cache')
mkdirSync(CACHE, { recursive: true })

function transform(url: string, source: string, module: 'commonjs' | 'es6') {
  const key = createHash('sha256')
    .update(JSON.stringify([url, module, swcVersion, swcConfig]))
    .update(source)
    .digest('hex')
  const file = join(CACHE, key)
  try {
    return readFileSync(file, 'utf8')
  } catch {
    /* not made yet */
  }
  const { code, map } = transformSync(source, {
    ...swcConfig,
    filename: fileURLToPath(url),
    module: { type: module },
  })
  const output = map
    ? `${code}\n\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(map).toString('base64')}`
    : code
  /**
   * Written whole then renamed: a reader never sees half a file
   */
  const partial = `${file}.${process.pid}`
  writeFileSync(partial, output)
  renameSync(partial, file)
  return output
}

function isTypeScriptFile(path: string) {
  return !path.endsWith('.d.ts') && /\.(ts|tsx|mts|cts)$/.test(path)
}

function isLocalPath(specifier: string) {
  return /^(\.\.?\/|\/|file:)/.test(specifier)
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    const [pathname] = specifier.split('?')
    if (
      !options.rewriteRelativeImportExtensions &&
      context.parentURL &&
      isTypeScriptFile(pathname)
    ) {
      throw new Error(
        `Cannot import "${specifier}" using "${extname(pathname)}" extension. Enable "compilerOptions.rewriteRelativeImportExtensions" to import TypeScript files`
      )
    }
    try {
      return nextResolve(specifier, context)
    } catch (error: any) {
      if (error.code === 'ERR_MODULE_NOT_FOUND' && error.url && isLocalPath(error.url)) {
        const [urlPathname, ...query] = error.url.split('?')
        const extension = extname(urlPathname)
        const candidates: string[] = []
        if (['.js', '.mjs', '.cjs', '.jsx'].includes(extension)) {
          candidates.push(extension.replace('js', 'ts'))
        }
        if (extension === '.js') candidates.push('.tsx')
        for (const candidate of candidates) {
          const path = urlPathname.slice(0, -extension.length) + candidate
          try {
            return nextResolve(query.length ? `${path}?${query.join('?')}` : path, context)
          } catch {
            /* the next candidate, else the original error */
          }
        }
      }
      throw error
    }
  },

  load(url, context, nextLoad) {
    const format = context.format
    const typescript = format === 'module-typescript' || format === 'commonjs-typescript'
    if (!typescript && !url.endsWith('.tsx') && !url.endsWith('.jsx')) {
      return nextLoad(url, context)
    }
    const { source } = nextLoad(url, { ...context, format: 'module' })
    const output = transform(
      url,
      String(source),
      format === 'commonjs-typescript' ? 'commonjs' : 'es6'
    )
    return {
      format: format ? format.replace('-typescript', '') : 'module',
      source: `${output}\n\n//# sourceURL=${url}`,
      shortCircuit: true,
    } as any
  },
})
