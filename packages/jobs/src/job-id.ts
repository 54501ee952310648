import { createHash } from 'node:crypto';

const MAX_SEQ = 2n ** 48n;

/**
 * The job id of one outbox event in one subscriber queue: a pure function of the two, so a relay
 * that runs twice over the same event inserts the same id and pg-boss's `ON CONFLICT DO NOTHING`
 * drops the duplicate.
 *
 * Laid out like a UUIDv7 but with the outbox `seq` where v7 puts the clock (RFC 9562 version 8,
 * "custom"): 48 bits of `seq`, then 74 bits of SHA-256(event id, queue). Job ids therefore sort in
 * outbox order, which matters because pg-boss breaks ties between jobs created in one transaction
 * (same `created_on`) by id — for an ordered queue that tie-break is the order of the aggregate's
 * events. A random v5-style hash would order them by chance.
 */
export function outboxJobId(event: { id: string; seq: string | bigint }, queueName: string): string {
  const seq = BigInt(event.seq);
  if (seq < 0n || seq >= MAX_SEQ) throw new Error(`outbox seq ${seq} does not fit the 48 bits of a job id`);
  const hash = createHash('sha256').update(event.id).update('\0').update(queueName).digest();
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(Number(seq), 0, 6);
  hash.copy(bytes, 6, 0, 10);
  bytes[6] = 0x80 | ((bytes[6] ?? 0) & 0x0f); // version 8
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f); // RFC 9562 variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
