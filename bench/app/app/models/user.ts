import { BaseModel, column } from '@adonisjs/lucid/orm'

/**
 * The kit stack's users: a Lucid model on SQLite, so a logged-in request
 * loads its user with a query, as in the starter kits
 */
export default class User extends BaseModel {
  static connection = 'users'

  @column({ isPrimary: true })
  declare id: number

  @column()
  declare email: string
}
