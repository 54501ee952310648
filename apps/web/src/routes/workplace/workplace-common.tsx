import { useQueryClient } from '@tanstack/react-query';
import { useRealtimeEvents } from '../../lib/realtime.ts';
import { api } from '../../lib/trpc.ts';

export type SyncStatus = 'pending' | 'syncing' | 'synced' | 'failed';

const SYNC: Record<SyncStatus, { label: string; pill: string }> = {
  pending: { label: 'Waiting to sync', pill: 'info' },
  syncing: { label: 'Syncing', pill: 'info' },
  synced: { label: 'On the label', pill: 'ok' },
  failed: { label: 'Sync failed', pill: 'down' },
};

/** Where an item stands with its electronic label. */
export function SyncBadge({ status, error }: { status: SyncStatus; error?: string | null }) {
  const shown = SYNC[status];
  return (
    <span
      className={`pill pill--${shown.pill}`}
      data-testid="sync-badge"
      data-status={status}
      title={error ?? undefined}
    >
      <span className="pill__dot" aria-hidden="true" />
      {shown.label}
    </span>
  );
}

const LIVE_TYPES = new Set([
  'space.updated',
  'room.updated',
  'person.assigned',
  'aims.health',
  'sync.progress',
  'sync.completed',
  'realtime.resync',
]);

/**
 * Keeps the workplace pages live: a change of sync status, an assignment, AIMS going down or up, or a
 * full sync's end refetches what the pages show. Returns the last `sync.progress` payload seen.
 */
export function useWorkplaceLive(onEvent?: (type: string, payload: Record<string, unknown>) => void) {
  const queryClient = useQueryClient();
  return useRealtimeEvents((event) => {
    if (!LIVE_TYPES.has(event.type)) return;
    onEvent?.(event.type, (event.payload ?? {}) as Record<string, unknown>);
    if (event.type === 'sync.progress') return;
    void queryClient.invalidateQueries({ queryKey: api.workplace.pathKey() });
  });
}

/** Label fields as editable text: one `field = value` per line. */
export function dataToText(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([key, value]) => `${key} = ${value ?? ''}`)
    .join('\n');
}

export function textToData(text: string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    if (key) data[key] = line.slice(at + 1).trim();
  }
  return data;
}

export function summary(data: Record<string, unknown>): string {
  return Object.entries(data)
    .map(([key, value]) => `${key}: ${value ?? ''}`)
    .join(' · ');
}
