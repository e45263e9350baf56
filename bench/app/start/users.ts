/*
 * The kit stack's ten users, in SQLite. Several instances boot at once:
 * "if not exists" and "or ignore" keep the seeding idempotent.
 */
import db from '@adonisjs/lucid/services/db'

const connection = db.connection('users')
await connection.rawQuery(
  'create table if not exists users (id integer primary key, email varchar(255) not null)'
)
for (let id = 1; id <= 10; id++) {
  await connection.rawQuery('insert or ignore into users (id, email) values (?, ?)', [
    id,
    `u${id}@x.t`,
  ])
}
