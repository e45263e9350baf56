import { configPkg } from '@adonisjs/eslint-config'

export default configPkg({
  ignores: ['build/**', 'tmp/**', 'coverage/**', 'tests/fixtures/packed_app/**'],
})
