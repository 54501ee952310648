/**
 * `@atrium/testkit/factories`: the data tests start from — orgs, users with roles, sessions and access
 * tokens, outbox envelopes, jobs — made through the domain, so test data obeys the rules real data
 * does. A separate entry point from `@atrium/testkit` (the engines) so that a test file that needs no
 * data does not load the domain, argon2 and pg-boss.
 */
export { outboxEnvelope, testEnvelope } from './factories/events.ts';
export {
  accessTokenFor,
  createTestOrg,
  createTestUser,
  sessionOf,
  TEST_PASSWORD,
  type TestOrg,
  type TestUser,
  type TestUserInput,
  testSession,
  uniqueEmail,
} from './factories/identity.ts';
export { createTestJob, type JobRow, jobsOf, startTestBoss } from './factories/jobs.ts';
