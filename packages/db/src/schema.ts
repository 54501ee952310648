import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The one description of Atrium's tables, as Kysely sees them. Column names are the database's own
 * (snake_case); use cases map rows to camelCase DTOs at their edge. Migrations in ../migrations are
 * the source of truth; this file follows them.
 */

/** A timestamp column: read as Date, written as Date or ISO string, defaulted by the database. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type Json = ColumnType<unknown, unknown, unknown>;
export type JsonObject = ColumnType<
  Record<string, unknown>,
  Record<string, unknown> | string,
  Record<string, unknown> | string
>;

export interface OrgsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  settings: ColumnType<Record<string, unknown>, Record<string, unknown> | undefined, Record<string, unknown>>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface OutboxEventsTable {
  id: Generated<string>;
  /** Insertion order; per-aggregate order is seq order because writers of one aggregate serialise on it. */
  seq: ColumnType<string, never, never>;
  org_id: string | null;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  payload: JsonObject;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  published_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
}

export interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: ColumnType<Date, Date | string | undefined, never>;
}

// ── Identity and access (SPEC §1) ────────────────────────────────────────────────────────────────

/** A timestamp column the database fills on insert and the code may set on update. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface UsersTable {
  id: Generated<string>;
  org_id: string;
  /** citext: compared case-insensitively, globally unique. */
  email: string;
  password_hash: string | null;
  name: string;
  status: ColumnType<'active' | 'disabled', 'active' | 'disabled' | undefined, 'active' | 'disabled'>;
  email_verified_at: NullableTimestamp;
  must_change_password: ColumnType<boolean, boolean | undefined, boolean>;
  last_login_at: NullableTimestamp;
  platform_role: 'operator' | null;
  permission_version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** An admin's invitation to an address (SPEC §1); the user row exists only once it is accepted. */
export interface InvitationsTable {
  id: Generated<string>;
  org_id: string;
  /** citext. */
  email: string;
  name: string;
  /** Role names granted on acceptance (roles deleted meanwhile are skipped). */
  roles: string[];
  /** SHA-256 of the emailed link's token. */
  token_hash: string;
  invited_by: string | null;
  expires_at: Timestamp;
  send_count: ColumnType<number, number | undefined, number>;
  last_sent_at: ColumnType<Date, Date | string | undefined, Date | string>;
  accepted_at: NullableTimestamp;
  accepted_user_id: string | null;
  revoked_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface RolesTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  permissions: ColumnType<string[], string[] | undefined, string[]>;
  is_builtin: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
  org_id: string;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  user_id: string;
  org_id: string;
  family_id: string;
  /** SHA-256 hex of the token. */
  token_hash: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  rotated_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  replaced_by: string | null;
  created_at: CreatedAt;
  user_agent: string | null;
  ip: string | null;
}

export interface EmailVerificationCodesTable {
  id: Generated<string>;
  user_id: string;
  org_id: string;
  code_hash: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  attempts: ColumnType<number, number | undefined, number>;
  consumed_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface PasswordResetTokensTable {
  id: Generated<string>;
  user_id: string;
  org_id: string;
  token_hash: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: NullableTimestamp;
  created_at: CreatedAt;
}

// ── Audit (SPEC §7, docs/audit.md) ───────────────────────────────────────────────────────────────

/**
 * One link of an org's hash chain. Append-only: nothing here is updatable (the database refuses
 * UPDATE and DELETE too). bigint columns read as strings; the audit module maps them to numbers.
 */
export interface AuditEntriesTable {
  org_id: ColumnType<string, string, never>;
  seq: ColumnType<string, number | string, never>;
  at: ColumnType<Date, Date | string, never>;
  /** A user id; null = the system. No foreign key: the entry outlives the user. */
  actor_id: ColumnType<string | null, string | null, never>;
  action: ColumnType<string, string, never>;
  resource_type: ColumnType<string, string, never>;
  resource_id: ColumnType<string | null, string | null, never>;
  /** Written as JSON text (so a top-level array is not taken for a PostgreSQL array). */
  payload: ColumnType<unknown, string | null, never>;
  payload_hash: ColumnType<string, string, never>;
  prev_checksum: ColumnType<string, string, never>;
  checksum: ColumnType<string, string, never>;
}

/** The per-org chain head, locked FOR UPDATE by every append. seq 0 + GENESIS = empty chain. */
export interface AuditHeadsTable {
  org_id: string;
  seq: ColumnType<string, number | string | undefined, number | string>;
  checksum: ColumnType<string, string | undefined, string>;
}

// ── Scheduler (SPEC §8, docs/scheduler.md) ────────────────────────────────────────────────────────

export type ScheduleKind = 'cron' | 'interval' | 'once';
export type ScheduleStatus = 'active' | 'paused' | 'quarantined' | 'completed';
export type MisfirePolicy = 'skip' | 'run_once' | 'catch_up';
export type ScheduleRunStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'skipped';
export type ScheduleRunTrigger = 'schedule' | 'manual' | 'catch_up' | 'misfire';
type SchedulerTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface SchedulesTable {
  id: Generated<string>;
  name: string;
  handler: string;
  kind: ScheduleKind;
  cron_expr: string | null;
  interval_seconds: number | null;
  run_at: SchedulerTimestamp;
  /** IANA time zone the cron expression is read in. */
  timezone: ColumnType<string, string | undefined, string>;
  payload: JsonObject;
  status: ColumnType<ScheduleStatus, ScheduleStatus | undefined, ScheduleStatus>;
  max_attempts: ColumnType<number, number | undefined, number>;
  backoff_seconds: ColumnType<number, number | undefined, number>;
  max_runtime_seconds: ColumnType<number, number | undefined, number>;
  max_consecutive_failures: ColumnType<number, number | undefined, number>;
  consecutive_failures: ColumnType<number, number | undefined, number>;
  quarantined_at: SchedulerTimestamp;
  misfire: ColumnType<MisfirePolicy, MisfirePolicy | undefined, MisfirePolicy>;
  max_catch_up: ColumnType<number, number | undefined, number>;
  next_run_at: SchedulerTimestamp;
  last_run_at: SchedulerTimestamp;
  retry_at: SchedulerTimestamp;
  retry_scheduled_for: SchedulerTimestamp;
  retry_attempt: number | null;
  manual_run_at: SchedulerTimestamp;
  catch_up_remaining: ColumnType<number, number | undefined, number>;
  catch_up_resume_at: SchedulerTimestamp;
  builtin: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ScheduleRunsTable {
  /** bigint identity, read as a string; newer runs have larger ids. */
  id: ColumnType<string, never, never>;
  schedule_id: string;
  scheduled_for: ColumnType<Date, Date | string, Date | string>;
  attempt: number;
  trigger: ColumnType<ScheduleRunTrigger, ScheduleRunTrigger | undefined, ScheduleRunTrigger>;
  node_id: string;
  /** bigint, read as a string: the lease token the run was claimed under. */
  fencing_token: ColumnType<string, string | number | bigint, string | number | bigint>;
  started_at: ColumnType<Date, Date | string, Date | string>;
  finished_at: SchedulerTimestamp;
  status: ScheduleRunStatus;
  error: string | null;
  result: ColumnType<unknown, string | null | undefined, string | null>;
}

export interface SchedulerLeasesTable {
  name: string;
  owner: string | null;
  fencing_token: ColumnType<string, string | number | bigint | undefined, string | number | bigint>;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

// ── Ops console (SPEC §8, docs/ops.md) ───────────────────────────────────────────────────────────

/** An operator's pause of a queue; no row = running. Workers follow it (LISTEN + poll). */
export interface QueueControlsTable {
  queue: string;
  paused: ColumnType<boolean, boolean | undefined, boolean>;
  paused_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  paused_by: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Per-queue, per-org snapshots the workers take for the Ops charts (org_id null = no org). */
export interface OpsQueueSamplesTable {
  captured_at: ColumnType<Date, Date | string, never>;
  queue: string;
  org_id: string | null;
  waiting: number;
  active: number;
  failed: number;
  completed_delta: number;
  failed_delta: number;
  interval_seconds: number;
}

/** A worker or scheduler process, registered at start and kept alive by its heartbeat. */
export interface OpsProcessesTable {
  id: string;
  kind: 'worker' | 'scheduler';
  host: string;
  pid: number;
  version: string;
  queues: ColumnType<Array<{ queue: string; concurrency: number }>, string | undefined, string>;
  ops_url: string | null;
  beat_seconds: number;
  started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_beat_at: ColumnType<Date, Date | string | undefined, Date | string>;
  stopped_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

// ── Notifications (SPEC §6, docs/notifications.md) ───────────────────────────────────────────────

export type NotificationChannel = 'email' | 'in_app';
export type NotificationStatus = 'pending' | 'scheduled' | 'sent' | 'failed' | 'cancelled';

/** A template: global built-in (org_id null, read-only) or an org's override / custom template. */
export interface NotificationTemplatesTable {
  id: Generated<string>;
  org_id: string | null;
  key: string;
  channel: NotificationChannel;
  locale: string;
  subject: string;
  body: string;
  /** Variables a built-in may use; an org override may use no others. */
  variables: ColumnType<string[], string[] | undefined, string[]>;
  sensitive: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/**
 * One message to one recipient. The address exists only sealed (AES-256-GCM) with an HMAC lookup
 * hash; a sensitive notification keeps subject, body and variables only inside `content_enc`.
 */
export interface NotificationsTable {
  /** Chosen by the code (part of the sealed fields' encryption context). */
  id: string;
  org_id: string;
  channel: NotificationChannel;
  recipient_user_id: string | null;
  recipient_email_enc: Buffer | null;
  recipient_email_hash: string | null;
  template_key: string | null;
  locale: ColumnType<string, string | undefined, string>;
  sensitive: ColumnType<boolean, boolean | undefined, boolean>;
  variables: ColumnType<Record<string, unknown> | null, string | null, string | null>;
  subject: string | null;
  body: string | null;
  content_enc: Buffer | null;
  status: NotificationStatus;
  scheduled_at: NullableTimestamp;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  next_attempt_at: NullableTimestamp;
  last_error: string | null;
  sent_at: NullableTimestamp;
  failed_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  read_at: NullableTimestamp;
  created_by: string | null;
  /** The audience send that queued it (notification_sends), null for a single-recipient send. */
  send_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One send to an audience (a role, everyone): its id is the sender's idempotency key. */
export interface NotificationSendsTable {
  org_id: string;
  id: string;
  audience: ColumnType<Record<string, unknown>, string, never>;
  channel: NotificationChannel;
  template_key: string | null;
  recipients: number;
  created_by: string | null;
  created_at: CreatedAt;
}

/** One delivery attempt; `ok` null while it is in flight. */
export interface NotificationAttemptsTable {
  notification_id: string;
  attempt_no: number;
  org_id: string;
  ok: boolean | null;
  provider_message_id: string | null;
  error: string | null;
  permanent: boolean | null;
  at: ColumnType<Date, Date | string | undefined, Date | string>;
  finished_at: NullableTimestamp;
}

// ── Creator programme (SPEC §3) and realtime overflow (SPEC §2) ───────────────────────────────────

export type CreatorApplicationStatus = 'pending' | 'approved' | 'rejected' | 'withdrawn';

export interface CreatorApplicationsTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  status: ColumnType<
    CreatorApplicationStatus,
    CreatorApplicationStatus | undefined,
    CreatorApplicationStatus
  >;
  experience: string;
  portfolio_url: string | null;
  motivation: string;
  /** `[{ platform, url }]`. */
  social_links: ColumnType<Array<{ platform: string; url: string }>, string | undefined, string>;
  additional_info: string | null;
  submitted_at: ColumnType<Date, Date | string | undefined, Date | string>;
  reviewed_at: NullableTimestamp;
  reviewed_by: string | null;
  review_notes: string | null;
  rejection_reason: string | null;
  withdrawn_at: NullableTimestamp;
  updated_at: UpdatedAt;
}

/** Realtime events too large for a NOTIFY payload, announced by id (docs/realtime.md). */
export interface RealtimeEventPayloadsTable {
  id: string;
  org_id: string;
  event: JsonObject;
  created_at: CreatedAt;
}

// ── Discovery (SPEC §4, docs/discovery.md) ───────────────────────────────────────────────────────

/** The one row naming the generation searches read and the one a rebuild is filling. */
export interface SearchIndexStateTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  /** bigint: read as a string. */
  active_generation: ColumnType<string, string | number | undefined, string | number>;
  building_generation: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  building_started_at: NullableTimestamp;
}

/** The PostgreSQL search adapter's index: one row per (org, content, generation). */
export interface SearchDocumentsTable {
  org_id: string;
  generation: ColumnType<string, string | number, never>;
  content_id: string;
  media_type: 'audio' | 'video';
  language: string;
  categories: ColumnType<string[], string[] | undefined, string[]>;
  publication_date: NullableTimestamp;
  /** Title A, categories B, author D with positions, description words stripped (text form). */
  search_vector: string;
}

/** Every word of an org's indexed documents: what misspelt query words are corrected against. */
export interface SearchTermsTable {
  org_id: string;
  generation: ColumnType<string, string | number, never>;
  term: string;
}

/** Documents per (media type, language, category); category '' counts every document once. Trigger-kept. */
export interface SearchFacetCountsTable {
  org_id: string;
  generation: ColumnType<string, string | number, never>;
  media_type: 'audio' | 'video';
  language: string;
  category: string;
  documents: number;
}

/** Ids removed while a rebuild runs, so a rebuild batch cannot bring them back. */
export interface SearchTombstonesTable {
  generation: ColumnType<string, string | number, never>;
  org_id: string;
  content_id: string;
}

/** A machine credential of an org (SPEC §7 log ingest; docs/logging.md). Only the key's SHA-256 is kept. */
export interface ApiKeysTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  /** The key's public start, shown in lists (`atr_k3Xf9Qa2`). */
  prefix: string;
  key_hash: string;
  scopes: string[];
  created_by: string | null;
  created_at: CreatedAt;
  last_used_at: NullableTimestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

/** One log event (SPEC §7). `org_id` null: the platform's own, with no org. */
export interface LogEventsTable {
  id: ColumnType<string, never, never>;
  org_id: string | null;
  at: Timestamp;
  received_at: CreatedAt;
  /** 10 debug, 20 info, 30 warn, 40 error, 50 fatal. */
  level: number;
  source: string;
  message: string;
  attributes: JsonObject;
  request_id: string | null;
  api_key_id: string | null;
  search: ColumnType<string, never, never>;
}

export interface AlertRulesTable {
  id: Generated<string>;
  /** Null for the built-in platform rules. */
  org_id: string | null;
  /** The built-in rule's stable name; null for org rules. */
  key: string | null;
  name: string;
  min_level: number;
  contains_text: string | null;
  source: string | null;
  window_seconds: number;
  threshold_count: number;
  notify_admins: ColumnType<boolean, boolean | undefined, boolean>;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface AlertRuleCountsTable {
  rule_id: string;
  /** The org, or the all-zero uuid for platform events without one. */
  org_key: string;
  bucket: Timestamp;
  count: number;
}

export interface IncidentsTable {
  id: Generated<string>;
  org_id: string | null;
  rule_id: string | null;
  rule_name: string;
  built_in: ColumnType<boolean, boolean | undefined, boolean>;
  title: string;
  status: ColumnType<'open' | 'acknowledged' | 'resolved', 'open' | undefined, 'acknowledged' | 'resolved'>;
  first_event_id: string | null;
  first_event_at: Timestamp;
  last_event_at: Timestamp;
  event_count: number;
  opened_at: CreatedAt;
  acknowledged_at: NullableTimestamp;
  acknowledged_by: string | null;
  resolved_at: NullableTimestamp;
  resolved_by: string | null;
}

export interface IncidentNotesTable {
  id: Generated<string>;
  incident_id: string;
  author_id: string | null;
  action: 'acknowledged' | 'resolved' | 'note';
  body: string;
  created_at: CreatedAt;
}

// ── Workplace (SPEC §9, docs/workplace.md) ────────────────────────────────────────────────────────

export type AimsConnectionStatus = 'unknown' | 'up' | 'down';
export type WorkplaceSyncStatus = 'pending' | 'syncing' | 'synced' | 'failed';
export type ConflictStrategy = 'server_wins' | 'aims_wins' | 'newest_wins';

export interface AimsConnectionsTable {
  org_id: string;
  base_url: string;
  cluster: 'common' | 'c1';
  company: string;
  store: string;
  username: string;
  /** Sealed with the notifications keyring; never leaves the domain. */
  password_enc: Buffer;
  field_mapping: JsonObject;
  conflict_strategy: ColumnType<ConflictStrategy, ConflictStrategy | undefined, ConflictStrategy>;
  status: ColumnType<AimsConnectionStatus, AimsConnectionStatus | undefined, AimsConnectionStatus>;
  last_ok_at: NullableTimestamp;
  last_checked_at: NullableTimestamp;
  last_error: string | null;
  paused: ColumnType<boolean, boolean | undefined, boolean>;
  last_failure_notice_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

type SyncStatusColumn = ColumnType<WorkplaceSyncStatus, WorkplaceSyncStatus | undefined, WorkplaceSyncStatus>;

export interface SpacesTable {
  id: Generated<string>;
  org_id: string;
  external_id: string;
  label_code: string | null;
  linked_label_code: string | null;
  template_name: string | null;
  data: JsonObject;
  sync_status: SyncStatusColumn;
  sync_error: string | null;
  last_synced_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PeopleTable {
  id: Generated<string>;
  org_id: string;
  external_id: string | null;
  data: JsonObject;
  assigned_space_id: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ConferenceRoomsTable {
  id: Generated<string>;
  org_id: string;
  external_id: string;
  room_name: string;
  label_code: string | null;
  linked_label_code: string | null;
  has_meeting: ColumnType<boolean, boolean | undefined, boolean>;
  meeting_name: string | null;
  start_time: string | null;
  end_time: string | null;
  participants: ColumnType<string[], string[] | undefined, string[]>;
  page: ColumnType<number, number | undefined, number>;
  sync_status: SyncStatusColumn;
  sync_error: string | null;
  last_synced_at: NullableTimestamp;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SyncRunsTable {
  id: Generated<string>;
  org_id: string;
  trigger: 'manual' | 'schedule';
  entities: string[];
  status: ColumnType<
    'running' | 'succeeded' | 'failed',
    'running' | undefined,
    'running' | 'succeeded' | 'failed'
  >;
  requested_by: string | null;
  downloaded: ColumnType<number, number | undefined, number>;
  uploaded: ColumnType<number, number | undefined, number>;
  deleted: ColumnType<number, number | undefined, number>;
  conflicts: ColumnType<number, number | undefined, number>;
  errors: ColumnType<number, number | undefined, number>;
  error: string | null;
  started_at: CreatedAt;
  finished_at: NullableTimestamp;
}

// ── Content (SPEC §4, docs/content.md) ───────────────────────────────────────────────────────────

export type ContentStatus = 'draft' | 'published' | 'archived';
export type ContentMediaType = 'audio' | 'video';

export interface ContentsTable {
  id: Generated<string>;
  org_id: string;
  author_id: string | null;
  title: string;
  description: ColumnType<string, string | undefined, string>;
  language: string;
  duration_seconds: number | null;
  publication_date: NullableTimestamp;
  status: ColumnType<ContentStatus, ContentStatus | undefined, ContentStatus>;
  /** Grows by one with every write to the content, its media or its categories. */
  version: ColumnType<number, number | undefined, number>;
  /** The version the search index last received (the worker's indexer writes it). */
  indexed_version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CategoriesTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  created_at: CreatedAt;
}

export interface ContentCategoriesTable {
  org_id: string;
  content_id: string;
  category_id: string;
}

export interface ContentMediaTable {
  content_id: string;
  org_id: string;
  media_type: ContentMediaType;
  source: 'upload' | 'external';
  provider: string;
  file_id: string | null;
  external_url: string | null;
  thumbnail_url: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** One bulk import (imports.bulk): the addresses, and a result line per address done so far. */
export interface ImportBatchesTable {
  id: Generated<string>;
  org_id: string;
  user_id: string;
  language: string;
  urls: ColumnType<string[], string, never>;
  total: number;
  results: ColumnType<unknown[], string | undefined, string>;
  status: ColumnType<
    'queued' | 'running' | 'completed' | 'failed',
    'queued' | undefined,
    'running' | 'completed' | 'failed'
  >;
  error: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

// ── Datasets, assets, files, profiles, todos (SPEC §5) ───────────────────────────────────────────

export type DatasetStatus = 'draft' | 'published' | 'archived';
export type DatasetItemType =
  | 'image_pair_compare'
  | 'image_ranked_gallery'
  | 'video_with_timeline'
  | 'audio_with_captions';
export type AssetKind = 'image' | 'video' | 'audio' | 'document';
export type AssetStatus = 'pending' | 'available' | 'missing';

export interface DatasetsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  status: ColumnType<DatasetStatus, DatasetStatus | undefined, DatasetStatus>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  published_at: NullableTimestamp;
  item_count: ColumnType<number, number | undefined, number>;
}

export interface AssetsTable {
  id: Generated<string>;
  org_id: string;
  dataset_id: string | null;
  kind: AssetKind;
  file_name: string;
  storage_key: string;
  content_type: string;
  /** bigint: read as text by node-postgres. */
  byte_size: ColumnType<string, number | string, number | string>;
  sha256: string;
  status: ColumnType<AssetStatus, AssetStatus | undefined, AssetStatus>;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface DatasetItemsTable {
  id: Generated<string>;
  org_id: string;
  dataset_id: string;
  type: DatasetItemType;
  title: string;
  summary: ColumnType<string, string | undefined, string>;
  payload: JsonObject;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export interface AnnotationsTable {
  id: Generated<string>;
  org_id: string;
  item_id: string;
  schema: 'timeline_v1' | 'captions_v1';
  data: JsonObject;
}

export interface AssetAccessLogTable {
  id: Generated<string>;
  org_id: string;
  asset_id: string;
  user_id: string;
  at: CreatedAt;
  ip: string | null;
}

export type FileStatus = 'pending' | 'available';
export type FileScanStatus = 'pending' | 'clean' | 'infected' | 'error';

export interface FilesTable {
  id: Generated<string>;
  org_id: string;
  owner_id: string;
  name: string;
  storage_key: string;
  declared_content_type: string;
  content_type: string | null;
  byte_size: ColumnType<string, number | string, number | string>;
  status: ColumnType<FileStatus, FileStatus | undefined, FileStatus>;
  scan_status: ColumnType<FileScanStatus, FileScanStatus | undefined, FileScanStatus>;
  scan_engine: string | null;
  scan_signature: string | null;
  scanned_at: NullableTimestamp;
  created_at: CreatedAt;
  uploaded_at: NullableTimestamp;
}

export interface FileLinksTable {
  id: Generated<string>;
  org_id: string;
  file_id: string;
  /** SHA-256 (hex) of the link's token; the token itself is shown once. */
  token_hash: string;
  created_by: string;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface FileAccessLogTable {
  id: Generated<string>;
  org_id: string;
  file_id: string;
  link_id: string | null;
  user_id: string | null;
  kind: 'signed' | 'public';
  outcome: 'served' | 'expired' | 'revoked' | 'infected' | 'unavailable';
  at: CreatedAt;
  ip: string | null;
}

export type ProfileVisibility = 'org' | 'private';

export interface ProfilesTable {
  user_id: string;
  org_id: string;
  display_name: string;
  bio: ColumnType<string, string | undefined, string>;
  links: ColumnType<Array<{ label: string; url: string }>, string | undefined, string>;
  visibility: ColumnType<ProfileVisibility, ProfileVisibility | undefined, ProfileVisibility>;
  avatar_file_id: string | null;
  track_file_id: string | null;
  updated_at: UpdatedAt;
}

export type TodoPriority = 'low' | 'normal' | 'high';

export interface TodosTable {
  id: Generated<string>;
  org_id: string;
  owner_id: string;
  title: string;
  /** A calendar date, `YYYY-MM-DD` (read as text). */
  due_date: string | null;
  priority: ColumnType<TodoPriority, TodoPriority | undefined, TodoPriority>;
  labels: ColumnType<string[], string[] | undefined, string[]>;
  status: ColumnType<'open' | 'done', 'open' | 'done' | undefined, 'open' | 'done'>;
  completed_at: NullableTimestamp;
  created_at: CreatedAt;
}

export interface Database {
  orgs: OrgsTable;
  outbox_events: OutboxEventsTable;
  inbox: InboxTable;
  users: UsersTable;
  invitations: InvitationsTable;
  roles: RolesTable;
  user_roles: UserRolesTable;
  refresh_tokens: RefreshTokensTable;
  email_verification_codes: EmailVerificationCodesTable;
  password_reset_tokens: PasswordResetTokensTable;
  audit_entries: AuditEntriesTable;
  audit_heads: AuditHeadsTable;
  schedules: SchedulesTable;
  schedule_runs: ScheduleRunsTable;
  scheduler_leases: SchedulerLeasesTable;
  queue_controls: QueueControlsTable;
  ops_queue_samples: OpsQueueSamplesTable;
  ops_processes: OpsProcessesTable;
  notification_templates: NotificationTemplatesTable;
  notifications: NotificationsTable;
  notification_attempts: NotificationAttemptsTable;
  notification_sends: NotificationSendsTable;
  creator_applications: CreatorApplicationsTable;
  realtime_event_payloads: RealtimeEventPayloadsTable;
  search_index_state: SearchIndexStateTable;
  search_documents: SearchDocumentsTable;
  search_terms: SearchTermsTable;
  search_facet_counts: SearchFacetCountsTable;
  search_tombstones: SearchTombstonesTable;
  api_keys: ApiKeysTable;
  log_events: LogEventsTable;
  alert_rules: AlertRulesTable;
  alert_rule_counts: AlertRuleCountsTable;
  incidents: IncidentsTable;
  incident_notes: IncidentNotesTable;
  aims_connections: AimsConnectionsTable;
  spaces: SpacesTable;
  people: PeopleTable;
  conference_rooms: ConferenceRoomsTable;
  sync_runs: SyncRunsTable;
  contents: ContentsTable;
  categories: CategoriesTable;
  content_categories: ContentCategoriesTable;
  content_media: ContentMediaTable;
  import_batches: ImportBatchesTable;
  datasets: DatasetsTable;
  assets: AssetsTable;
  dataset_items: DatasetItemsTable;
  annotations: AnnotationsTable;
  asset_access_log: AssetAccessLogTable;
  files: FilesTable;
  file_links: FileLinksTable;
  file_access_log: FileAccessLogTable;
  profiles: ProfilesTable;
  todos: TodosTable;
}

export type Org = Selectable<OrgsTable>;
export type NewOrg = Insertable<OrgsTable>;
export type OrgUpdate = Updateable<OrgsTable>;
export type OutboxEvent = Selectable<OutboxEventsTable>;
export type NewOutboxEvent = Insertable<OutboxEventsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Role = Selectable<RolesTable>;
export type RefreshToken = Selectable<RefreshTokensTable>;
export type AuditEntryRow = Selectable<AuditEntriesTable>;
export type Schedule = Selectable<SchedulesTable>;
export type ScheduleRun = Selectable<ScheduleRunsTable>;
export type CreatorApplication = Selectable<CreatorApplicationsTable>;
export type Notification = Selectable<NotificationsTable>;
export type NotificationTemplate = Selectable<NotificationTemplatesTable>;
export type Content = Selectable<ContentsTable>;
export type ContentMedia = Selectable<ContentMediaTable>;
