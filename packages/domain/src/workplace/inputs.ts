import { z } from 'zod';
import { cursorCodec } from '../platform/input-blocks.ts';

/** Shared input blocks of the workplace (SPEC §9, docs/workplace.md). */

/** An AIMS article id (a space's external id; a room's article id is `C` + its external id). */
export const ZExternalId = z
  .string()
  .trim()
  .min(1, { message: 'Required' })
  .max(200, { message: 'At most 200 characters' })
  .regex(/^[A-Za-z0-9_.:-]+$/, { message: 'Letters, digits and . _ : - only' });

/** An ESL label code: 12 hexadecimal characters, stored upper-case. */
export const ZLabelCode = z
  .string()
  .trim()
  .regex(/^[0-9A-Fa-f]{12}$/, { message: 'A label code is 12 hexadecimal characters, e.g. 04507B0AC391' })
  .transform((value) => value.toUpperCase());

/** Field values shown on labels: text, numbers, booleans. */
const ZDataValue = z.union([z.string().max(2_000), z.number().finite(), z.boolean(), z.null()]);

export const ZEntityData = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { message: 'Field names: letters, digits, _' }),
    ZDataValue,
  )
  .refine((data) => Object.keys(data).length <= 50, { message: 'At most 50 fields' });
export type EntityData = z.infer<typeof ZEntityData>;

export const ZListLimit = z.number().int().min(1).max(200).default(50);

export const ZSearchText = z.string().trim().max(200);

/** The keyset cursor of lists ordered by external id: the last row's `(external_id, id)`. */
export const externalIdCursor = cursorCodec(z.tuple([z.string().max(300), z.uuid()]));

export const ZIdInput = z.object({ id: z.uuid() });
export type IdInput = z.infer<typeof ZIdInput>;

/** `HH:MM`, 24-hour. */
export const ZTimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'Use HH:MM (24-hour)' });

/** Reads stored jsonb data back as label fields, dropping anything that is not one. */
export function storedData(value: unknown): EntityData {
  const parsed = ZEntityData.safeParse(value);
  return parsed.success ? parsed.data : {};
}
