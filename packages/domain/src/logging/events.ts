import { z } from 'zod';
import { defineEvent } from '../events/registry.ts';

/**
 * An alert rule's matches crossed its threshold and opened an incident (SPEC §7). Org null: a
 * platform incident (the operators'). The worker's `incidents.notice` consumer notifies the admins
 * (email + in-app) and publishes `incident.opened` live.
 */
export const IncidentOpened = defineEvent(
  'IncidentOpened',
  z.object({
    incidentId: z.uuid(),
    ruleId: z.uuid(),
    title: z.string(),
    builtIn: z.boolean(),
    level: z.string(),
    openedAt: z.iso.datetime({ offset: true }),
  }),
);

/** An admin acknowledged or resolved an incident (with an optional note). */
export const IncidentStatusChanged = defineEvent(
  'IncidentStatusChanged',
  z.object({
    incidentId: z.uuid(),
    status: z.enum(['acknowledged', 'resolved']),
    actorId: z.uuid(),
  }),
);

export const INCIDENT_AGGREGATE = 'incident';
