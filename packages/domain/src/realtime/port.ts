/**
 * Realtime port (SPEC §2). Producers publish org-scoped events; the API fans
 * them out to SSE subscribers of the same org, filtered by audience.
 */
export interface RealtimeAudience {
  userIds?: string[];
  permission?: string;
}

export interface RealtimeEvent {
  id: string;
  orgId: string;
  type: string;
  payload: unknown;
  audience?: { userIds?: string[]; permission?: string };
  at: string;
}

export interface RealtimePublisher {
  publish(event: {
    orgId: string;
    type: string;
    payload: unknown;
    audience?: { userIds?: string[]; permission?: string };
  }): Promise<void>;
}
