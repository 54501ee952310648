import { randomBytes } from 'node:crypto';

export const AIMS_CLUSTERS = ['common', 'c1'] as const;
export type AimsCluster = (typeof AIMS_CLUSTERS)[number];

/** Whom a token was issued to. A token is honoured only on the cluster that issued it. */
export interface TokenOwner {
  company: string;
  username: string;
  cluster: AimsCluster;
}

interface Grant extends TokenOwner {
  expiresAt: number;
}

/** `responseMessage` of `POST /api/v2/token` and `/api/v2/token/refresh`. */
export interface IssuedTokens {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

export interface TokenLifetimes {
  accessSeconds: number;
  refreshSeconds: number;
}

/** Beyond this many live grants of one kind, the oldest are forgotten (a client minting tokens in a loop). */
const MAX_LIVE_GRANTS = 50_000;

/**
 * Opaque bearer and refresh tokens with expiry times. Refresh tokens rotate: using one consumes it
 * and hands out a new pair, as AIMS's v3 refresh documents (`refreshTokenRotated`).
 */
export class TokenRegistry {
  readonly #access = new Map<string, Grant>();
  readonly #refresh = new Map<string, Grant>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  issue(owner: TokenOwner, lifetimes: TokenLifetimes): IssuedTokens {
    const now = this.#now();
    const accessToken = newToken();
    const refreshToken = newToken();
    remember(this.#access, accessToken, { ...owner, expiresAt: now + lifetimes.accessSeconds * 1000 }, now);
    remember(
      this.#refresh,
      refreshToken,
      { ...owner, expiresAt: now + lifetimes.refreshSeconds * 1000 },
      now,
    );
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: lifetimes.accessSeconds,
      refresh_token: refreshToken,
    };
  }

  /** Whom a refresh token was issued to (live or not), without using it: whose faults a refresh meets. */
  refreshTokenOwner(refreshToken: string, cluster: AimsCluster): TokenOwner | null {
    const grant = this.#refresh.get(refreshToken);
    return grant && grant.cluster === cluster ? ownerOf(grant) : null;
  }

  /**
   * The owner of a live refresh token presented on `cluster` (and for `company`, when the caller
   * names one), consuming it; null when unknown, expired or another company's.
   */
  redeemRefreshToken(refreshToken: string, cluster: AimsCluster, company: string | null): TokenOwner | null {
    const grant = this.#refresh.get(refreshToken);
    if (!grant || grant.cluster !== cluster || (company !== null && grant.company !== company)) return null;
    this.#refresh.delete(refreshToken);
    return grant.expiresAt > this.#now() ? ownerOf(grant) : null;
  }

  /** The owner of a live access token presented on `cluster`; null when unknown, expired or revoked. */
  verify(accessToken: string, cluster: AimsCluster): TokenOwner | null {
    const grant = this.#access.get(accessToken);
    if (!grant || grant.cluster !== cluster) return null;
    if (grant.expiresAt <= this.#now()) {
      this.#access.delete(accessToken);
      return null;
    }
    return ownerOf(grant);
  }

  revoke(accessToken: string): void {
    this.#access.delete(accessToken);
  }

  forgetCompany(company: string): void {
    for (const grants of [this.#access, this.#refresh]) {
      for (const [token, grant] of grants) if (grant.company === company) grants.delete(token);
    }
  }

  clear(): void {
    this.#access.clear();
    this.#refresh.clear();
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function ownerOf(grant: Grant): TokenOwner {
  return { company: grant.company, username: grant.username, cluster: grant.cluster };
}

function remember(grants: Map<string, Grant>, token: string, grant: Grant, now: number): void {
  if (grants.size >= MAX_LIVE_GRANTS) {
    for (const [old, existing] of grants) if (existing.expiresAt <= now) grants.delete(old);
    // Still full of live grants: drop the oldest (a Map iterates in insertion order).
    for (const old of grants.keys()) {
      if (grants.size < MAX_LIVE_GRANTS) break;
      grants.delete(old);
    }
  }
  grants.set(token, grant);
}
