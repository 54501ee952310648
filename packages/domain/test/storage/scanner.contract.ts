import { Readable } from 'node:stream';
import { EICAR } from '@atrium/testkit';
import { describe, expect, it } from 'vitest';
import type { Scanner } from '../../src/platform/scanner.ts';

/**
 * The Scanner port's contract, run against every adapter: the `none` scanner and ClamAV against a
 * real clamd. What differs is only whether the adapter looks at the bytes (`inspects`).
 */
export interface ScannerContractTarget {
  create(): Scanner;
  /** true: EICAR must come back `infected`; false: everything is `clean` and says `engine: 'none'`. */
  inspects: boolean;
}

export function scannerContract(name: string, target: ScannerContractTarget): void {
  describe(`Scanner contract: ${name}`, () => {
    it('answers the engine is there', async () => {
      await expect(target.create().ping()).resolves.toBeUndefined();
    });

    it('finds clean bytes and clean streams clean', async () => {
      const scanner = target.create();
      const engine = target.inspects ? 'clamav' : 'none';
      expect(await scanner.scan(new TextEncoder().encode('just a harmless text file\n'))).toEqual({
        verdict: 'clean',
        engine,
      });
      expect(await scanner.scan(new Uint8Array(0))).toEqual({ verdict: 'clean', engine });
      const stream = Readable.from([Buffer.alloc(100_000, 1), Buffer.alloc(50_000, 2)]);
      expect(await scanner.scan(stream)).toEqual({ verdict: 'clean', engine });
      // Whatever the adapter did with it, the stream is finished: nothing is left holding a file.
      expect(stream.destroyed || stream.readableEnded).toBe(true);
    });

    it(target.inspects ? 'finds the EICAR test file infected' : 'labels EICAR clean, unscanned', async () => {
      const result = await target.create().scan(Buffer.from(EICAR, 'latin1'));
      if (target.inspects) {
        expect(result).toMatchObject({
          verdict: 'infected',
          engine: 'clamav',
          signature: expect.any(String),
        });
      } else {
        expect(result).toEqual({ verdict: 'clean', engine: 'none' });
      }
    });
  });
}
