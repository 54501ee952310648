import type { AimsArticle, AimsDataValue } from '../aims/types.ts';
import type { FieldMapping } from './connection.ts';
import type { EntityData } from './inputs.ts';
import { roomArticleId } from './sync-requests.ts';

/**
 * What an article shows (SPEC §9: a space's `articleId` is its `external_id`, a room's is `C` +
 * `external_id`; `data` fields come from the org's `field_mapping`).
 *
 * A space's `data`: with an empty mapping, the space's fields and then its person's (the person's win
 * on a clash), plus `ASSIGNED` ("1"/"0"). With a mapping, exactly the mapped fields: each AIMS field
 * takes `space.<field>` or `person.<field>` (`space.externalId` and `space.labelCode` too); a source
 * with no value gives an empty text, so a vacated space clears the person's fields on the label.
 */
export interface SpaceArticleSource {
  externalId: string;
  labelCode: string | null;
  data: EntityData;
  person: { externalId: string | null; data: EntityData } | null;
}

export function spaceArticle(space: SpaceArticleSource, mapping: FieldMapping): AimsArticle {
  const person = space.person?.data ?? {};
  let data: Record<string, AimsDataValue>;
  if (Object.keys(mapping).length === 0) {
    data = { ...space.data, ...person, ASSIGNED: space.person ? '1' : '0' };
  } else {
    data = {};
    for (const [field, source] of Object.entries(mapping)) {
      const [entity, key] = source.split('.', 2) as ['space' | 'person', string];
      let value: AimsDataValue | undefined;
      if (entity === 'space') {
        value =
          key === 'externalId' ? space.externalId : key === 'labelCode' ? space.labelCode : space.data[key];
      } else {
        value = key === 'externalId' ? (space.person?.externalId ?? null) : person[key];
      }
      data[field] = value ?? '';
    }
  }
  const name = person.name ?? space.data.name ?? space.externalId;
  return { articleId: space.externalId, articleName: String(name), data };
}

export interface RoomArticleSource {
  externalId: string;
  roomName: string;
  hasMeeting: boolean;
  meetingName: string | null;
  startTime: string | null;
  endTime: string | null;
  participants: readonly string[];
}

/** A room's article: its name and meeting, in fixed fields the room template reads. */
export function roomArticle(room: RoomArticleSource): AimsArticle {
  return {
    articleId: roomArticleId(room.externalId),
    articleName: room.roomName,
    data: {
      ROOM_NAME: room.roomName,
      MEETING: room.hasMeeting ? '1' : '0',
      MEETING_NAME: room.meetingName ?? '',
      START_TIME: room.startTime ?? '',
      END_TIME: room.endTime ?? '',
      PARTICIPANTS: room.participants.join(', '),
    },
  };
}

/** Whether AIMS already shows what the article says (name and every data field, as text). */
export function sameArticle(
  local: AimsArticle,
  remote: { articleName: string; data: Record<string, AimsDataValue> },
): boolean {
  if ((local.articleName ?? '') !== remote.articleName) return false;
  const a = local.data ?? {};
  const b = remote.data;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (String(a[key] ?? '') !== String(b[key] ?? '')) return false;
  }
  return true;
}
