import { defineEventQueue } from '../events/queue-definition.ts';
import {
  CreatorApplicationApproved,
  CreatorApplicationRejected,
  CreatorApplicationSubmitted,
  UserRolesChanged,
} from './events.ts';

/** Queue names, which are also the consumers' inbox names. */
export const CREATOR_CONSUMER_NAMES = {
  roles: 'creators.roles',
  notifications: 'creators.notifications',
} as const;

/**
 * (a) The roles consumer: applies UserRolesChanged grants (add-only), bumps the permission version and
 * refreshes the authorisation cache. Ordered per user, so two grants of one user apply in order.
 */
export const creatorRolesQueue = defineEventQueue({
  name: CREATOR_CONSUMER_NAMES.roles,
  events: [UserRolesChanged],
  ordered: true,
  retryLimit: 10,
  retryDelaySeconds: 2,
  retryDelayMaxSeconds: 300,
  expireInSeconds: 60,
});

/**
 * (b) The notifications consumer: queues the applicant's email + in-app notice on a decision and the
 * reviewers' in-app notices on a new application. It only writes notification rows (delivery,
 * retries and attempts are the notifications dispatcher's), so a mail outage never reaches it.
 */
export const creatorNotificationsQueue = defineEventQueue({
  name: CREATOR_CONSUMER_NAMES.notifications,
  events: [CreatorApplicationSubmitted, CreatorApplicationApproved, CreatorApplicationRejected],
  retryLimit: 8,
  retryDelaySeconds: 5,
  retryDelayMaxSeconds: 600,
  expireInSeconds: 60,
});

export const CREATOR_QUEUES = [creatorRolesQueue, creatorNotificationsQueue] as const;
