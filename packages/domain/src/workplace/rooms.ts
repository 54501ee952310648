import type { ConferenceRoomsTable } from '@atrium/db';
import { type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { Session } from '../access/session.ts';
import { appendAudit } from '../audit/append.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import { systemClock } from '../platform/clock.ts';
import { ZCursorField } from '../platform/input-blocks.ts';
import { containsPattern, keysetPage } from '../platform/keyset.ts';
import { isUniqueViolation } from '../platform/postgres-errors.ts';
import { validateInput } from '../platform/validate-input.ts';
import { scoped } from '../tenancy/scoped.ts';
import type { WorkplaceDeps } from './connection.ts';
import {
  externalIdCursor,
  ZExternalId,
  ZIdInput,
  ZLabelCode,
  ZListLimit,
  ZSearchText,
  ZTimeOfDay,
} from './inputs.ts';
import { requestRoomSync } from './sync-requests.ts';

export type RoomRow = Selectable<ConferenceRoomsTable>;

// ── Inputs ────────────────────────────────────────────────────────────────────────────────────────

const ZRoomName = z.string().trim().min(1, { message: 'Required' }).max(200);

export const ZCreateRoomInput = z.object({
  externalId: ZExternalId,
  roomName: ZRoomName,
  labelCode: ZLabelCode.nullish(),
});
export type CreateRoomInput = z.input<typeof ZCreateRoomInput>;

export const ZUpdateRoomInput = z.object({
  id: z.uuid(),
  roomName: ZRoomName.optional(),
  labelCode: ZLabelCode.nullish(),
});
export type UpdateRoomInput = z.input<typeof ZUpdateRoomInput>;

/**
 * `hasMeeting: true` with its name, times and participants starts a meeting (the label flips to page
 * 2); `hasMeeting: false` ends it (fields cleared, page 1).
 */
export const ZToggleMeetingInput = z.discriminatedUnion('hasMeeting', [
  z.object({ id: z.uuid(), hasMeeting: z.literal(false) }),
  z
    .object({
      id: z.uuid(),
      hasMeeting: z.literal(true),
      meetingName: z.string().trim().min(1, { message: 'Required' }).max(200),
      startTime: ZTimeOfDay,
      endTime: ZTimeOfDay,
      participants: z.array(z.string().trim().min(1).max(200)).max(100).default([]),
    })
    .refine((meeting) => meeting.endTime > meeting.startTime, {
      message: 'The meeting must end after it starts',
      path: ['endTime'],
    }),
]);
export type ToggleMeetingInput = z.input<typeof ZToggleMeetingInput>;

export const ZFlipPageInput = z.object({ id: z.uuid(), page: z.number().int().min(1).max(7) });
export type FlipPageInput = z.infer<typeof ZFlipPageInput>;

export const ZListRoomsInput = z.object({
  q: ZSearchText.optional(),
  cursor: ZCursorField.optional(),
  limit: ZListLimit,
});
export type ListRoomsInput = z.input<typeof ZListRoomsInput>;

// ── Views ─────────────────────────────────────────────────────────────────────────────────────────

export interface RoomView {
  id: string;
  externalId: string;
  roomName: string;
  labelCode: string | null;
  hasMeeting: boolean;
  meetingName: string | null;
  startTime: string | null;
  endTime: string | null;
  participants: string[];
  page: number;
  syncStatus: RoomRow['sync_status'];
  syncError: string | null;
  lastSyncedAt: Date | null;
  updatedAt: Date;
}

function view(row: RoomRow): RoomView {
  return {
    id: row.id,
    externalId: row.external_id,
    roomName: row.room_name,
    labelCode: row.label_code,
    hasMeeting: row.has_meeting,
    meetingName: row.meeting_name,
    startTime: row.start_time,
    endTime: row.end_time,
    participants: row.participants,
    page: row.page,
    syncStatus: row.sync_status,
    syncError: row.sync_error,
    lastSyncedAt: row.last_synced_at,
    updatedAt: row.updated_at,
  };
}

// ── Use cases ─────────────────────────────────────────────────────────────────────────────────────

export async function listRooms(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: ListRoomsInput,
): Promise<{ items: RoomView[]; nextCursor: string | null }> {
  const input = validateInput(ZListRoomsInput, rawInput);
  let query = scoped(deps.db, session.orgId)
    .selectFrom('conference_rooms')
    .selectAll()
    .orderBy('external_id')
    .orderBy('id')
    .limit(input.limit + 1);
  if (input.q) {
    const pattern = containsPattern(input.q);
    query = query.where((eb) =>
      eb.or([
        eb('external_id', 'ilike', pattern),
        eb('room_name', 'ilike', pattern),
        eb(sql<string>`coalesce(meeting_name, '')`, 'ilike', pattern),
      ]),
    );
  }
  if (input.cursor) {
    const [externalId, id] = externalIdCursor.decode(input.cursor);
    query = query.where(sql<boolean>`(external_id, id) > (${externalId}, ${id}::uuid)`);
  }
  const rows = (await query.execute()) as RoomRow[];
  return keysetPage(rows, input.limit, view, (last) => externalIdCursor.encode([last.external_id, last.id]));
}

export async function getRoom(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: { id: string },
): Promise<RoomView> {
  const { id } = validateInput(ZIdInput, rawInput);
  const row = await scoped(deps.db, session.orgId)
    .selectFrom('conference_rooms')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('Conference room');
  return view(row as RoomRow);
}

export async function createRoom(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: CreateRoomInput,
): Promise<RoomView> {
  const input = validateInput(ZCreateRoomInput, rawInput);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await scoped(trx, session.orgId)
        .insertInto('conference_rooms', {
          external_id: input.externalId,
          room_name: input.roomName,
          label_code: input.labelCode ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await requestRoomSync(trx, session.orgId, input.externalId, 'created');
      return view(row as RoomRow);
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError(`A room with the id ${input.externalId} already exists`);
    throw error;
  }
}

type RoomChange = Partial<
  Pick<
    RoomRow,
    | 'room_name'
    | 'label_code'
    | 'has_meeting'
    | 'meeting_name'
    | 'start_time'
    | 'end_time'
    | 'participants'
    | 'page'
  >
>;

async function changeRoom(
  deps: WorkplaceDeps,
  session: Session,
  id: string,
  set: RoomChange,
  reason: 'updated' | 'meeting' | 'page',
): Promise<RoomView> {
  const now = (deps.clock ?? systemClock).now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .updateTable('conference_rooms')
      .set({ ...set, sync_status: 'pending', sync_error: null, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Conference room');
    await requestRoomSync(trx, session.orgId, row.external_id, reason);
    return view(row as RoomRow);
  });
}

export async function updateRoom(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: UpdateRoomInput,
): Promise<RoomView> {
  const input = validateInput(ZUpdateRoomInput, rawInput);
  return changeRoom(
    deps,
    session,
    input.id,
    {
      ...(input.roomName !== undefined ? { room_name: input.roomName } : {}),
      ...(input.labelCode !== undefined ? { label_code: input.labelCode } : {}),
    },
    'updated',
  );
}

/** `workplace.rooms.toggleMeeting`: starts or ends the room's meeting; its label follows. */
export async function toggleMeeting(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: ToggleMeetingInput,
): Promise<RoomView> {
  const input = validateInput(ZToggleMeetingInput, rawInput);
  const set = input.hasMeeting
    ? {
        has_meeting: true,
        meeting_name: input.meetingName,
        start_time: input.startTime,
        end_time: input.endTime,
        participants: input.participants,
        page: 2,
      }
    : { has_meeting: false, meeting_name: null, start_time: null, end_time: null, participants: [], page: 1 };
  return changeRoom(deps, session, input.id, set, 'meeting');
}

/** `workplace.rooms.flipPage`: shows another page (1..7) of the room's label. */
export async function flipRoomPage(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: FlipPageInput,
): Promise<RoomView> {
  const input = validateInput(ZFlipPageInput, rawInput);
  return changeRoom(deps, session, input.id, { page: input.page }, 'page');
}

export async function deleteRoom(
  deps: WorkplaceDeps,
  session: Session,
  rawInput: { id: string },
): Promise<{ id: string }> {
  const { id } = validateInput(ZIdInput, rawInput);
  return deps.db.transaction().execute(async (trx) => {
    const row = await scoped(trx, session.orgId)
      .deleteFrom('conference_rooms')
      .where('id', '=', id)
      .returning(['id', 'external_id'])
      .executeTakeFirst();
    if (!row) throw new NotFoundError('Conference room');
    await requestRoomSync(trx, session.orgId, row.external_id, 'deleted');
    await appendAudit(
      trx,
      {
        orgId: session.orgId,
        actorId: session.userId,
        action: 'workplace.room.deleted',
        resourceType: 'workplace.room',
        resourceId: row.id,
        payload: { externalId: row.external_id },
      },
      { clock: deps.clock ?? systemClock },
    );
    return { id: row.id };
  });
}
