import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ValidationError } from '../errors.ts';

/**
 * Where an org's AIMS may be (docs/workplace.md). An org admin types the AIMS address and the server
 * calls it (`workplace.aims.test` reports how the call failed), so without a rule a tenant could make
 * the platform probe its own private network. Unless private hosts are allowed (development, tests,
 * an on-premises AIMS: `AIMS_ALLOW_PRIVATE_HOSTS`), an address that resolves to loopback, private,
 * link-local, carrier-grade NAT or unspecified space is refused. Checked when settings are saved or
 * tested; a later DNS change is not re-checked (DNS rebinding is out of this rule's reach).
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

export interface AimsHostPolicy {
  allowPrivateHosts: boolean;
}

function isPrivate(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, 'ipv4');
  const family = isIP(address);
  return family === 0 ? true : PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export async function assertAllowedAimsHost(
  baseUrl: string,
  policy: AimsHostPolicy | undefined,
): Promise<void> {
  if (!policy || policy.allowPrivateHosts) return;
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((entry) => entry.address);
  } catch {
    throw refused('The AIMS address does not resolve');
  }
  if (addresses.length === 0 || addresses.some(isPrivate)) {
    throw refused('The AIMS address points into a private network, which this server does not call');
  }
}

function refused(message: string): ValidationError {
  return new ValidationError(message, { baseUrl: [message] });
}
