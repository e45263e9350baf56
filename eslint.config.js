import { configPkg } from '@adonisjs/eslint-config'
import { createNodeResolver, importX } from 'eslint-plugin-import-x'

/**
 * The package's own modules, whose shape the lint keeps (DESIGN.md, "Keeping
 * the shape"); tests, benchmarks and scripts are not held to it
 */
const PACKAGE_SOURCES = [
  'src/**/*.ts',
  'providers/**/*.ts',
  'commands/**/*.ts',
  'services/**/*.ts',
  'index.ts',
  'configure.ts',
]

/**
 * import-x's `no-cycle` always skips `import type` (it has no option to count
 * them), but a type import is a dependency too: "a module that the manager
 * constructs is given an interface it declares itself; it never imports the
 * manager". This runs the same rule on imports and re-exports read as value
 * ones: in the linted file (its nodes seen through `asValue`) and in the
 * modules it walks (parsed by `withoutTypeMarks`, its own parser for them).
 */
function asValue(node) {
  return new Proxy(node, {
    get(target, key) {
      if (key === 'importKind' || key === 'exportKind') return 'value'
      if (key === 'specifiers') return target.specifiers.map(asValue)
      return Reflect.get(target, key)
    },
  })
}

const parsersWithoutTypeMarks = new WeakMap()
function withoutTypeMarks(parser) {
  if (!parsersWithoutTypeMarks.has(parser)) {
    parsersWithoutTypeMarks.set(parser, {
      meta: { name: 'site-maintenance/without-type-marks', version: '1' },
      parseForESLint(code, options) {
        const result = parser.parseForESLint(code, options)
        for (const statement of result.ast.body) {
          for (const node of [statement, ...(statement.specifiers ?? [])]) {
            if ('importKind' in node) node.importKind = 'value'
            if ('exportKind' in node) node.exportKind = 'value'
          }
        }
        return result
      },
    })
  }
  return parsersWithoutTypeMarks.get(parser)
}

const noCycle = importX.rules['no-cycle']
const noCycleCountingTypes = {
  meta: noCycle.meta,
  create(context) {
    const languageOptions = {
      ...context.languageOptions,
      parser: withoutTypeMarks(context.languageOptions.parser),
    }
    const listeners = noCycle.create(
      Object.create(context, { languageOptions: { value: languageOptions } })
    )
    return Object.fromEntries(
      Object.entries(listeners).map(([selector, listener]) => [
        selector,
        (node) => listener(asValue(node)),
      ])
    )
  },
}

export default configPkg(
  {
    ignores: ['build/**', 'tmp/**', 'coverage/**', 'tests/fixtures/packed_app/**'],
  },
  {
    name: 'site-maintenance: no import loops',
    files: PACKAGE_SOURCES,
    plugins: { 'site-maintenance': { rules: { 'no-cycle': noCycleCountingTypes } } },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.d.ts', '.js', '.json', '.node'],
          conditionNames: ['types', 'import', 'default'],
          tsconfig: { configFile: new URL('./tsconfig.json', import.meta.url).pathname },
        }),
      ],
    },
    rules: {
      /**
       * Dependencies point down; a loop through a dependency's own files
       * cannot come back into the package, so those are not walked
       */
      'site-maintenance/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    name: 'site-maintenance: one concern per file',
    files: ['src/**/*.ts', 'providers/**/*.ts', 'commands/**/*.ts'],
    rules: {
      // The kernel regrew from 414 to 720 lines because nothing stopped it; 300 code lines is what one concern fits
      'max-lines': ['error', { max: 300, skipComments: true, skipBlankLines: true }],
    },
  }
)
