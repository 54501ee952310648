/**
 * Settings every vitest project shares. A project file (`defineProject`) does not inherit the root
 * config's `test` options, so each one spreads these: real engines on two cores need more than
 * vitest's 5 s defaults.
 */
export const vitestProjectDefaults = {
  testTimeout: 30_000,
  hookTimeout: 60_000,
} as const;
