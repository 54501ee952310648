import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// Notifications to an audience (docs/notifications.md, "Sending to a role or to everyone"): one
// `notification_sends` row per send, keyed by the id the sender's client chose, so a retried request
// (a double click, a lost answer) finds its send and queues nothing twice. Each recipient's
// notification row points back at its send.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notification_sends')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('id', 'uuid', (c) => c.notNull())
    // { everyone: true } | { role: '<name>' }
    .addColumn('audience', 'jsonb', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('template_key', 'text')
    .addColumn('recipients', 'integer', (c) => c.notNull().check(sql`recipients >= 0`))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('notification_sends_pkey', ['org_id', 'id'])
    .execute();
  await db.schema.alterTable('notifications').addColumn('send_id', 'uuid').execute();
  await sql`
    ALTER TABLE notifications ADD CONSTRAINT notifications_send_fkey
      FOREIGN KEY (org_id, send_id) REFERENCES notification_sends (org_id, id) ON DELETE CASCADE
  `.execute(db);
  await sql`CREATE INDEX notifications_send_idx ON notifications (org_id, send_id) WHERE send_id IS NOT NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('notifications').dropColumn('send_id').execute();
  await db.schema.dropTable('notification_sends').execute();
}
