import { type Kysely, sql } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// Notifications (SPEC §6, docs/notifications.md):
// - notification_templates: global built-ins (org_id NULL, seeded below) and per-org overrides or
//   custom templates. One row per (org, key, channel, locale); NULLS NOT DISTINCT (PostgreSQL 15+)
//   keeps the globals unique too. `variables` lists what a built-in may use: an org's override may
//   not reference anything else (its senders would not supply it). `sensitive` templates carry a
//   secret (code, link, password): notifications made from them are stored encrypted.
// - notifications: one message to one recipient. The address is stored only encrypted
//   (recipient_email_enc, AES-256-GCM) with an HMAC-SHA-256 lookup hash; in-app notifications name a
//   user. A sensitive notification keeps subject, body and variables only inside content_enc.
// - notification_attempts: every delivery attempt; ok NULL = in flight (claimed, not finished).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('notification_templates')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    // NULL = global (built-in, read-only through the API).
    .addColumn('org_id', 'uuid', (c) => c.references('orgs.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull().check(sql`key ~ '^[a-z][a-z0-9-]{1,63}$'`))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel IN ('email', 'in_app')`))
    .addColumn('locale', 'text', (c) =>
      c.notNull().check(sql`locale ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$'`),
    )
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('variables', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('sensitive', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`ALTER TABLE notification_templates ADD CONSTRAINT notification_templates_key UNIQUE NULLS NOT DISTINCT (org_id, key, channel, locale)`.execute(
    db,
  );
  await sql`CREATE INDEX notification_templates_key_idx ON notification_templates (key, channel)`.execute(db);

  await db.schema
    .createTable('notifications')
    // Chosen by the code: the id is part of the encryption context of the row's sealed fields.
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel IN ('email', 'in_app')`))
    // The user the notification is for: required for in_app, set for email sent to a user.
    .addColumn('recipient_user_id', 'uuid')
    .addColumn('recipient_email_enc', 'bytea')
    // HMAC-SHA-256 (hex) of the lower-cased address under the lookup key.
    .addColumn('recipient_email_hash', 'text')
    .addColumn('template_key', 'text')
    .addColumn('locale', 'text', (c) => c.notNull().defaultTo('en'))
    .addColumn('sensitive', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('variables', 'jsonb')
    .addColumn('subject', 'text')
    .addColumn('body', 'text')
    // Sensitive only: {subject, body, variables} as sealed JSON.
    .addColumn('content_enc', 'bytea')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('pending', 'scheduled', 'sent', 'failed', 'cancelled')`),
    )
    .addColumn('scheduled_at', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().check(sql`max_attempts >= 1`))
    // After a failed attempt that will be retried: the earliest time of the next one.
    .addColumn('next_attempt_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('cancelled_at', 'timestamptz')
    // In-app inbox.
    .addColumn('read_at', 'timestamptz')
    // Who asked for it through notifications.send; NULL = the system. No foreign key, like audit.
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint(
      'notifications_recipient_user_fkey',
      ['org_id', 'recipient_user_id'],
      'users',
      ['org_id', 'id'],
      (fk) => fk.onDelete('cascade'),
    )
    .addCheckConstraint(
      'notifications_recipient_check',
      sql`(channel = 'in_app' AND recipient_user_id IS NOT NULL AND recipient_email_enc IS NULL AND recipient_email_hash IS NULL)
        OR (channel = 'email' AND recipient_email_enc IS NOT NULL AND recipient_email_hash IS NOT NULL)`,
    )
    .addCheckConstraint(
      'notifications_content_check',
      sql`(sensitive AND content_enc IS NOT NULL AND subject IS NULL AND body IS NULL AND variables IS NULL)
        OR (NOT sensitive AND content_enc IS NULL AND subject IS NOT NULL AND body IS NOT NULL AND variables IS NOT NULL)`,
    )
    .addCheckConstraint(
      'notifications_scheduled_check',
      sql`status <> 'scheduled' OR scheduled_at IS NOT NULL`,
    )
    .execute();
  // notifications.list: newest first within an org.
  await sql`CREATE INDEX notifications_org_created_idx ON notifications (org_id, created_at DESC, id DESC)`.execute(
    db,
  );
  await sql`CREATE INDEX notifications_recipient_hash_idx ON notifications (org_id, recipient_email_hash) WHERE recipient_email_hash IS NOT NULL`.execute(
    db,
  );
  // The inbox: a user's delivered in-app notifications, newest first, and the unread count.
  await sql`CREATE INDEX notifications_inbox_idx ON notifications (recipient_user_id, sent_at DESC, id DESC) WHERE channel = 'in_app' AND status = 'sent'`.execute(
    db,
  );
  await sql`CREATE INDEX notifications_unread_idx ON notifications (recipient_user_id) WHERE channel = 'in_app' AND status = 'sent' AND read_at IS NULL`.execute(
    db,
  );

  await db.schema
    .createTable('notification_attempts')
    .addColumn('notification_id', 'uuid', (c) =>
      c.notNull().references('notifications.id').onDelete('cascade'),
    )
    .addColumn('attempt_no', 'integer', (c) => c.notNull().check(sql`attempt_no >= 1`))
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    // NULL while the attempt is in flight.
    .addColumn('ok', 'boolean')
    .addColumn('provider_message_id', 'text')
    .addColumn('error', 'text')
    .addColumn('permanent', 'boolean')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addPrimaryKeyConstraint('notification_attempts_pkey', ['notification_id', 'attempt_no'])
    .execute();

  await db
    .insertInto('notification_templates')
    .values(BUILT_IN_TEMPLATES.map((t) => ({ ...t, org_id: null, locale: 'en' })))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('notification_attempts').execute();
  await db.schema.dropTable('notifications').execute();
  await db.schema.dropTable('notification_templates').execute();
}

interface BuiltIn {
  key: string;
  channel: 'email' | 'in_app';
  subject: string;
  body: string;
  variables: string[];
  sensitive: boolean;
}

// The built-in templates of SPEC §6, in English. `orgName` (always) and `name` (for a user
// recipient) are supplied by the notifications module itself; callers supply the rest.
const BUILT_IN_TEMPLATES: BuiltIn[] = [
  {
    key: 'verify-email',
    channel: 'email',
    sensitive: true,
    variables: ['name', 'orgName', 'code', 'validMinutes'],
    subject: 'Your {{orgName}} verification code',
    body: [
      'Hello {{name}},',
      'Your verification code is: {{code}}',
      'It is valid for {{validMinutes}} minutes. If you did not create an account, ignore this email.',
    ].join('\n\n'),
  },
  {
    key: 'password-reset',
    channel: 'email',
    sensitive: true,
    variables: ['name', 'orgName', 'resetUrl', 'validMinutes'],
    subject: 'Reset your Atrium password',
    body: [
      'Hello {{name}},',
      'Someone (hopefully you) asked to reset the password of your {{orgName}} account. Open this link to choose a new one:',
      '{{resetUrl}}',
      'The link works once, for {{validMinutes}} minutes. If you did not ask for it, ignore this email: your password stays as it is.',
    ].join('\n\n'),
  },
  {
    key: 'welcome',
    channel: 'email',
    sensitive: true,
    variables: ['name', 'orgName', 'email', 'temporaryPassword', 'signInUrl'],
    subject: 'Welcome to {{orgName}} on Atrium',
    body: [
      'Hello {{name}},',
      'An administrator created an Atrium account for you in {{orgName}}.',
      'Sign in at {{signInUrl}} with\n  email: {{email}}\n  temporary password: {{temporaryPassword}}',
      'You will be asked to choose your own password right away.',
    ].join('\n\n'),
  },
  {
    key: 'password-changed',
    channel: 'email',
    sensitive: false,
    variables: ['name', 'orgName', 'how', 'resetUrl'],
    subject: 'Your Atrium password was changed',
    body: [
      'Hello {{name}},',
      'The password of your {{orgName}} account was changed {{how}}, and every other signed-in device was signed out.',
      'If this was not you, reset your password now at {{resetUrl}} and tell your administrator.',
    ].join('\n\n'),
  },
  {
    key: 'password-changed',
    channel: 'in_app',
    sensitive: false,
    variables: ['name', 'orgName', 'how', 'resetUrl'],
    subject: 'Your password was changed',
    body: 'Your password was changed {{how}}. If this was not you, reset it now at {{resetUrl}} and tell your administrator.',
  },
  {
    // SPEC §3: "Content Creator Application Approved", with application id, approval time, role name
    // and next steps.
    key: 'creator-approved',
    channel: 'email',
    sensitive: false,
    variables: ['name', 'orgName', 'applicationId', 'approvedAt', 'roleName', 'nextSteps'],
    subject: 'Content Creator Application Approved',
    body: [
      'Hello {{name}},',
      'Your creator application in {{orgName}} was approved on {{approvedAt}}. You now have the {{roleName}} role.',
      'Next steps: {{nextSteps}}',
      'Application: {{applicationId}}',
    ].join('\n\n'),
  },
  {
    key: 'creator-approved',
    channel: 'in_app',
    sensitive: false,
    variables: ['name', 'orgName', 'applicationId', 'approvedAt', 'roleName', 'nextSteps'],
    subject: 'Creator application approved',
    body: 'You now have the {{roleName}} role. {{nextSteps}}',
  },
  {
    key: 'creator-rejected',
    channel: 'email',
    sensitive: false,
    variables: ['name', 'orgName', 'reason', 'applicationId', 'rejectedAt'],
    subject: 'Content Creator Application Not Approved',
    body: [
      'Hello {{name}},',
      'Your creator application in {{orgName}} was not approved.',
      'Reason: {{reason}}',
      'Application: {{applicationId}}',
    ].join('\n\n'),
  },
  {
    key: 'creator-rejected',
    channel: 'in_app',
    sensitive: false,
    variables: ['name', 'orgName', 'reason', 'applicationId', 'rejectedAt'],
    subject: 'Creator application not approved',
    body: 'Your creator application was not approved. Reason: {{reason}}',
  },
  {
    key: 'incident-opened',
    channel: 'email',
    sensitive: false,
    variables: ['name', 'orgName', 'title', 'severity', 'url'],
    subject: '[{{severity}}] Incident opened: {{title}}',
    body: [
      'An incident was opened in {{orgName}}.',
      '{{title}}\nSeverity: {{severity}}',
      'Details: {{url}}',
    ].join('\n\n'),
  },
  {
    key: 'incident-opened',
    channel: 'in_app',
    sensitive: false,
    variables: ['name', 'orgName', 'title', 'severity', 'url'],
    subject: 'Incident opened: {{title}}',
    body: 'Severity {{severity}}. Details: {{url}}',
  },
  {
    key: 'sync-failed',
    channel: 'email',
    sensitive: false,
    variables: ['name', 'orgName', 'what', 'error', 'url'],
    subject: 'Sync failed: {{what}}',
    body: [
      'A synchronisation in {{orgName}} failed.',
      'What: {{what}}\nError: {{error}}',
      'Details: {{url}}',
    ].join('\n\n'),
  },
  {
    key: 'sync-failed',
    channel: 'in_app',
    sensitive: false,
    variables: ['name', 'orgName', 'what', 'error', 'url'],
    subject: 'Sync failed: {{what}}',
    body: '{{error}} Details: {{url}}',
  },
];
