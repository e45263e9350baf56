import router from '@adonisjs/core/services/router'
import type { HttpContext } from '@adonisjs/core/http'
import type { SessionGuard } from '@adonisjs/auth/session'
import { kitStack } from './env.ts'

/**
 * The session guard. Typed here rather than by augmenting the auth
 * types, which the package's type-check shares with the test fixtures.
 */
function web(auth: HttpContext['auth']) {
  return auth.use('web' as never) as unknown as SessionGuard<false, any>
}

/**
 * The route every measurement is made against
 */
router.get('/ping', () => 'pong')

/**
 * Logs in the user of ?id= (no password: the benchmark only needs a
 * session that the auth guard recognises)
 */
router.get('/login', async ({ auth, request }) => {
  const id = Number(request.input('id', 1))
  const { default: User } = await import('../app/models/user.ts')
  const { users } = await import('../config/auth.ts')
  const user = kitStack ? await User.find(id) : users.get(id)
  if (!user) return 'unknown user'
  await web(auth).login(user)
  return 'logged in'
})

router.get('/logout', async ({ auth }) => {
  await web(auth).logout()
  return 'logged out'
})
