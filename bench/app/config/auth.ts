import { defineConfig } from '@adonisjs/auth'
import { symbols } from '@adonisjs/auth'
import { sessionGuard } from '@adonisjs/auth/session'
import type { SessionGuardUser, SessionUserProviderContract } from '@adonisjs/auth/types/session'

export interface BenchUser {
  id: number
  email: string
}

/**
 * Users held in memory: the benchmark measures the request path, not a
 * user table
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

export default defineConfig({
  default: 'web',
  guards: {
    web: sessionGuard({ useRememberMeTokens: false, provider: new MemoryUserProvider() }),
  },
}) as unknown
