import { defineConfig, symbols } from '@adonisjs/auth'
import { sessionGuard, sessionUserProvider } from '@adonisjs/auth/session'
import type { SessionGuardUser, SessionUserProviderContract } from '@adonisjs/auth/types/session'
import { kitStack } from '../start/env.ts'

export interface BenchUser {
  id: number
  email: string
}

/**
 * The minimal stack's users, held in memory: it measures the request
 * path without a user table
 */
export const users = new Map<number, BenchUser>(
  Array.from({ length: 10 }, (_, index) => [index + 1, { id: index + 1, email: `u${index}@x.t` }])
)

class MemoryUserProvider implements SessionUserProviderContract<BenchUser> {
  declare [symbols.PROVIDER_REAL_USER]: BenchUser

  async createUserForGuard(user: BenchUser): Promise<SessionGuardUser<BenchUser>> {
    return { getId: () => user.id, getOriginal: () => user }
  }

  async findById(identifier: string | number | bigint) {
    const user = users.get(Number(identifier))
    return user ? this.createUserForGuard(user) : null
  }
}

/**
 * The kit stack loads users from SQLite with Lucid, as the starter kits do
 */
export default defineConfig({
  default: 'web',
  guards: {
    web: sessionGuard({
      useRememberMeTokens: false,
      provider: kitStack
        ? sessionUserProvider({ model: () => import('../app/models/user.ts') })
        : new MemoryUserProvider(),
    }),
  },
}) as unknown
