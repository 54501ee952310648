import type { AimsConnectionsTable, Database } from '@atrium/db';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { createAimsClient } from '../aims/client.ts';
import { isAimsError } from '../aims/errors.ts';
import type { AimsClient, AimsClientOptions } from '../aims/types.ts';
import { appendAudit } from '../audit/append.ts';
import { ExternalServiceError, NotFoundError, ValidationError } from '../errors.ts';
import { notificationKeyring, open, seal } from '../notifications/crypto.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import type { LogSink } from '../platform/logger.ts';
import { validateInput } from '../platform/validate-input.ts';
import type { RealtimePublisher } from '../realtime/port.ts';
import { scoped } from '../tenancy/scoped.ts';
import { type AimsHostPolicy, assertAllowedAimsHost } from './aims-host.ts';

/** What the workplace's use cases run on. */
export interface WorkplaceDeps {
  db: Kysely<Database>;
  clock?: Clock;
  /** Builds (and caches) the AIMS client of a connection; tests pass one with fast retries. */
  aims?: AimsClients;
  /** Which AIMS hosts an org may configure (aims-host.ts); unset: any. The API passes its env's. */
  aimsHosts?: AimsHostPolicy;
  /** Live hints (`person.assigned`, `space.updated`…); best effort. */
  realtime?: RealtimePublisher | null;
  log?: LogSink;
}

export type AimsConnectionRow = Selectable<AimsConnectionsTable>;

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

/** An AIMS data field name: what the label template reads. */
const ZAimsField = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { message: 'Letters, digits and _' });

/**
 * Where a mapped field's value comes from: `space.<key>` / `person.<key>` (a key of the entity's
 * data), or `space.externalId` / `space.labelCode`.
 */
const ZFieldSource = z
  .string()
  .regex(/^(space|person)\.[A-Za-z0-9_]{1,64}$/, { message: 'Use space.<field> or person.<field>' });

export const ZFieldMapping = z
  .record(ZAimsField, ZFieldSource)
  .refine((mapping) => Object.keys(mapping).length <= 100, { message: 'At most 100 mapped fields' });
export type FieldMapping = z.infer<typeof ZFieldMapping>;

const ZBaseUrl = z
  .string()
  .trim()
  .max(500)
  .pipe(
    z.url({ protocol: /^https?$/, message: 'Enter the AIMS address, e.g. https://eu.common.solumesl.com' }),
  )
  .refine(
    (value) => {
      const url = new URL(value);
      return (url.pathname === '/' || url.pathname === '') && !url.username && !url.password && !url.search;
    },
    { message: 'Only scheme and host (the cluster is chosen separately), without a path or credentials' },
  )
  .transform((value) => new URL(value).origin);

const ZCode = z
  .string()
  .trim()
  .min(1, { message: 'Required' })
  .max(100)
  .regex(/^[A-Za-z0-9_.-]+$/, { message: 'Letters, digits, . _ -' });

export const ZConfigureAimsInput = z.object({
  baseUrl: ZBaseUrl,
  cluster: z.enum(['common', 'c1']).default('common'),
  company: ZCode,
  store: ZCode,
  username: z.string().trim().min(1, { message: 'Required' }).max(200),
  /** Omit to keep the stored password (changing other settings). Required the first time. */
  password: z.string().min(1).max(500).optional(),
  fieldMapping: ZFieldMapping.default({}),
  conflictStrategy: z.enum(['server_wins', 'aims_wins', 'newest_wins']).default('server_wins'),
});
export type ConfigureAimsInput = z.input<typeof ZConfigureAimsInput>;

export const ZTestAimsInput = z
  .object({
    /** Test settings before saving them; without, the stored connection is tested. */
    baseUrl: ZBaseUrl.optional(),
    cluster: z.enum(['common', 'c1']).optional(),
    company: ZCode.optional(),
    store: ZCode.optional(),
    username: z.string().trim().min(1).max(200).optional(),
    password: z.string().min(1).max(500).optional(),
  })
  .default({});
export type TestAimsInput = z.input<typeof ZTestAimsInput>;

// ── Views ─────────────────────────────────────────────────────────────────────────────────────────

/** The connection as any procedure returns it: never the password. */
export interface AimsConnectionView {
  configured: true;
  baseUrl: string;
  cluster: 'common' | 'c1';
  company: string;
  store: string;
  username: string;
  hasPassword: true;
  fieldMapping: FieldMapping;
  conflictStrategy: 'server_wins' | 'aims_wins' | 'newest_wins';
  status: 'unknown' | 'up' | 'down';
  paused: boolean;
  lastOkAt: Date | null;
  lastCheckedAt: Date | null;
  lastError: string | null;
  updatedAt: Date;
}

export function connectionView(row: AimsConnectionRow): AimsConnectionView {
  return {
    configured: true,
    baseUrl: row.base_url,
    cluster: row.cluster,
    company: row.company,
    store: row.store,
    username: row.username,
    hasPassword: true,
    fieldMapping: ZFieldMapping.catch({}).parse(row.field_mapping),
    conflictStrategy: row.conflict_strategy,
    status: row.status,
    paused: row.paused,
    lastOkAt: row.last_ok_at,
    lastCheckedAt: row.last_checked_at,
    lastError: row.last_error,
    updatedAt: row.updated_at,
  };
}

// ── Secrets ───────────────────────────────────────────────────────────────────────────────────────

/** The password's encryption context: a sealed password opens only as this org's AIMS password. */
const passwordContext = (orgId: string) => `aims_connection:${orgId}:password`;

export function sealAimsPassword(orgId: string, password: string): Buffer {
  return seal(notificationKeyring(), password, passwordContext(orgId));
}

function openAimsPassword(row: Pick<AimsConnectionRow, 'org_id' | 'password_enc'>): string {
  return open(notificationKeyring(), row.password_enc, passwordContext(row.org_id));
}

// ── Clients ───────────────────────────────────────────────────────────────────────────────────────

/**
 * One AIMS client per connection (its token belongs to it), cached per org and rebuilt when the
 * connection's settings change (`updated_at`). The password is opened only to build a client.
 */
export interface AimsClients {
  forConnection(row: AimsConnectionRow): AimsClient;
  /** A client that is not cached (testing settings before they are saved). */
  transient(settings: Omit<AimsClientOptions, 'clock' | 'retry' | 'fetch' | 'onCall' | 'log'>): AimsClient;
}

export function createAimsClients(
  options: Pick<AimsClientOptions, 'retry' | 'requestTimeoutMs' | 'onCall' | 'log' | 'clock' | 'fetch'> = {},
): AimsClients {
  const cache = new Map<string, { version: string; client: AimsClient }>();
  return {
    forConnection(row) {
      const version = `${row.updated_at.getTime()}|${row.base_url}|${row.cluster}|${row.company}|${row.store}|${row.username}`;
      const cached = cache.get(row.org_id);
      if (cached && cached.version === version) return cached.client;
      const client = createAimsClient({
        ...options,
        baseUrl: row.base_url,
        cluster: row.cluster,
        company: row.company,
        store: row.store,
        username: row.username,
        password: openAimsPassword(row),
      });
      cache.set(row.org_id, { version, client });
      return client;
    },
    transient(settings) {
      return createAimsClient({ ...options, ...settings });
    },
  };
}

let defaultClients: AimsClients | null = null;
/** The process-wide client cache with default settings (used when deps carry none). */
export function aimsClientsOf(deps: Pick<WorkplaceDeps, 'aims'>): AimsClients {
  if (deps.aims) return deps.aims;
  defaultClients ??= createAimsClients();
  return defaultClients;
}

// ── Use cases ─────────────────────────────────────────────────────────────────────────────────────

export async function findConnection(db: Kysely<Database>, orgId: string): Promise<AimsConnectionRow | null> {
  return (await scoped(db, orgId).selectFrom('aims_connections').selectAll().executeTakeFirst()) ?? null;
}

/** `workplace.aims.get`: the org's connection without its password, or `{configured: false}`. */
export async function getAimsConnection(
  deps: WorkplaceDeps,
  session: Session,
): Promise<AimsConnectionView | { configured: false }> {
  const row = await findConnection(deps.db, session.orgId);
  return row ? connectionView(row) : { configured: false };
}

/**
 * `workplace.aims.configure`: creates or replaces the org's connection (audited, never the password).
 * Changing where the connection points sets its status back to `unknown` until the next probe.
 */
export async function configureAimsConnection(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: ConfigureAimsInput,
): Promise<AimsConnectionView> {
  const input = validateInput(ZConfigureAimsInput, rawInput);
  await assertAllowedAimsHost(input.baseUrl, deps.aimsHosts);
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const scope = scoped(trx, session.orgId);
    const existing = await scope.selectFrom('aims_connections').selectAll().forUpdate().executeTakeFirst();
    if (!existing && !input.password) {
      throw validationError('password', 'Enter the AIMS password');
    }
    const values = {
      base_url: input.baseUrl,
      cluster: input.cluster,
      company: input.company,
      store: input.store,
      username: input.username,
      field_mapping: JSON.stringify(input.fieldMapping),
      conflict_strategy: input.conflictStrategy,
      updated_at: now,
    };
    const password_enc = input.password
      ? sealAimsPassword(session.orgId, input.password)
      : (existing as AimsConnectionRow).password_enc;
    const moved =
      !existing ||
      existing.base_url !== input.baseUrl ||
      existing.cluster !== input.cluster ||
      existing.company !== input.company ||
      existing.store !== input.store ||
      existing.username !== input.username ||
      Boolean(input.password);
    const row = existing
      ? await scope
          .updateTable('aims_connections')
          .set({
            ...values,
            password_enc,
            ...(moved ? { status: 'unknown', paused: false, last_error: null } : {}),
          })
          .returningAll()
          .executeTakeFirstOrThrow()
      : await scope
          .insertInto('aims_connections', { ...values, password_enc })
          .returningAll()
          .executeTakeFirstOrThrow();
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'workplace.aims.configured',
        resourceType: 'aims_connection',
        resourceId: session.orgId,
        payload: {
          baseUrl: input.baseUrl,
          cluster: input.cluster,
          company: input.company,
          store: input.store,
          username: input.username,
          passwordChanged: Boolean(input.password),
          conflictStrategy: input.conflictStrategy,
        },
      },
      { clock: deps.clock ?? systemClock },
    );
    return connectionView(row as AimsConnectionRow);
  });
}

function validationError(field: string, message: string): ValidationError {
  return new ValidationError(message, { [field]: [message] });
}

export interface AimsTestResult {
  ok: boolean;
  ms: number;
  articleCount?: number;
  /** The failure, in words, when ok is false. */
  error?: string;
}

/**
 * `workplace.aims.test`: really asks AIMS for a token with the username and password (never a cached
 * token) and reads one article, which checks company and store too. With settings in the input they
 * are tested as given (the stored password fills in a missing one); otherwise the stored connection.
 * A failure is an answer (`ok: false` with AIMS's words), not an error: the page shows it.
 */
export async function testAimsConnection(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: TestAimsInput,
): Promise<AimsTestResult> {
  const input = validateInput(ZTestAimsInput, rawInput);
  const stored = await findConnection(deps.db, session.orgId);
  const baseUrl = input.baseUrl ?? stored?.base_url;
  const company = input.company ?? stored?.company;
  const store = input.store ?? stored?.store;
  const username = input.username ?? stored?.username;
  const password = input.password ?? (stored ? openAimsPassword(stored) : undefined);
  if (!baseUrl || !company || !store || !username || !password) {
    if (!stored) throw new NotFoundError('AIMS connection');
    throw validationError('_', 'Fill in every connection setting to test it');
  }
  await assertAllowedAimsHost(baseUrl, deps.aimsHosts);
  const client = aimsClientsOf(deps).transient({
    baseUrl,
    cluster: input.cluster ?? stored?.cluster ?? 'common',
    company,
    store,
    username,
    password,
  });
  const started = Date.now();
  try {
    const result = await client.testConnection();
    return { ok: true, ms: result.ms, articleCount: result.articleCount };
  } catch (error) {
    if (isAimsError(error) || error instanceof ExternalServiceError) {
      return { ok: false, ms: Date.now() - started, error: error.message };
    }
    throw error;
  }
}
