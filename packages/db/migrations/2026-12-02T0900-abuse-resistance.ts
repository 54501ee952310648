import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// Abuse resistance (SPEC §1 sign-in limits and invitations, §6 relay restrictions; docs/security.md).
//
// - users.failed_login_count / locked_until go: sign-in limits now count failures in the rate limiter
//   per (account, device) and per address (device cookies), and never lock an account as a whole.
// - invitations replace users.create: an admin invites an address; its owner sets their own password
//   through the emailed link, which also proves the address. An open invitation never blocks the
//   address (no user row exists until acceptance). One open invitation per (org, address): a partial
//   unique index over rows neither accepted nor revoked. Only the link token's SHA-256 is stored.
// - Built-in templates for invitations (one for a new address, one explaining that the address already
//   has an account elsewhere), and `welcome` becomes the note sent when an invitation is accepted (no
//   temporary password any more).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('failed_login_count').dropColumn('locked_until').execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('email', sql`citext`, (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('roles', sql`text[]`, (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('invited_by', 'uuid')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('send_count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_sent_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('accepted_at', 'timestamptz')
    .addColumn('accepted_user_id', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`ALTER TABLE invitations ADD CONSTRAINT invitations_inviter_fkey
    FOREIGN KEY (org_id, invited_by) REFERENCES users (org_id, id) ON DELETE SET NULL (invited_by)`.execute(
    db,
  );
  await sql`CREATE UNIQUE INDEX invitations_open_idx ON invitations (org_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL`.execute(db);
  await sql`CREATE INDEX invitations_org_created_idx ON invitations (org_id, created_at DESC, id DESC)`.execute(
    db,
  );

  await db
    .insertInto('notification_templates')
    .values(
      INVITATION_TEMPLATES.map((t) => ({
        ...t,
        org_id: null,
        locale: 'en',
        channel: 'email',
        sensitive: true,
      })),
    )
    .execute();
  await db
    .updateTable('notification_templates')
    .set({
      subject: 'Welcome to {{orgName}} on Atrium',
      body: [
        'Hello {{name}},',
        'You accepted the invitation and joined {{orgName}}. You can sign in at {{signInUrl}} with {{email}} and the password you chose.',
        'If this was not you, reset your password at {{resetUrl}} and tell an administrator of {{orgName}}.',
      ].join('\n\n'),
      variables: sql`ARRAY['name', 'orgName', 'email', 'signInUrl', 'resetUrl']::text[]`,
      sensitive: false,
    })
    .where('org_id', 'is', null)
    .where('key', '=', 'welcome')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db
    .deleteFrom('notification_templates')
    .where('key', 'in', ['invitation', 'invitation-existing-account'])
    .execute();
  await db.schema.dropTable('invitations').execute();
  await db.schema
    .alterTable('users')
    .addColumn('failed_login_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .execute();
}

const INVITATION_TEMPLATES = [
  {
    key: 'invitation',
    variables: ['orgName', 'inviterName', 'email', 'acceptUrl', 'validDays'],
    subject: '{{inviterName}} invited you to {{orgName}} on Atrium',
    body: [
      'Hello,',
      '{{inviterName}} invited {{email}} to join {{orgName}} on Atrium.',
      'To accept, open this link and choose your password (it also confirms this address is yours):',
      '{{acceptUrl}}',
      'The link works for {{validDays}} days. If you did not expect this invitation, ignore this email: nothing happens unless you open the link.',
    ].join('\n\n'),
  },
  {
    key: 'invitation-existing-account',
    variables: ['orgName', 'inviterName', 'email', 'acceptUrl', 'validDays'],
    subject: '{{inviterName}} invited you to {{orgName}} on Atrium',
    body: [
      'Hello,',
      '{{inviterName}} invited {{email}} to join {{orgName}} on Atrium.',
      'This address already has an Atrium account, and an address belongs to one organisation at a time, so the invitation cannot be accepted with it. To join {{orgName}}, ask {{inviterName}} to invite another address of yours.',
      'You can see the invitation at {{acceptUrl}} for {{validDays}} days. Your existing account is not affected. If you did not expect this, ignore this email.',
    ].join('\n\n'),
  },
];
