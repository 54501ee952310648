/**
 * The platform audit chain (SPEC §8): what platform operators do — Ops actions, schedules,
 * organisations' sending policies — is recorded in a chain of its own, keyed by the nil UUID (no org
 * has it; migration 2026-12-03T1500-console lets the audit tables hold it). It is appended, listed and
 * verified by the same code as every org's chain; only operators may read it.
 */
export const PLATFORM_AUDIT_CHAIN = '00000000-0000-0000-0000-000000000000';

/** Who did something, as far as choosing a chain goes. */
export interface ChainActor {
  orgId: string;
  /** A platform operator acting as one (not as a member of their org). */
  platform?: boolean;
}

/** The chain an actor's own record goes to: the platform's for an operator, else their org's. */
export function actorChain(actor: ChainActor): string {
  return actor.platform ? PLATFORM_AUDIT_CHAIN : actor.orgId;
}
