import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from '@atrium/local-engines';
import { afterAll, beforeAll } from 'vitest';

/** The EICAR anti-virus test file (68 bytes): harmless, and detected by every engine by convention. */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** The name clamd reports for EICAR with the test database `startClamd` writes. */
export const EICAR_SIGNATURE = 'Atrium.Test.EICAR.UNOFFICIAL';

export interface Clamd {
  readonly host: string;
  readonly port: number;
  /** clamd's StreamMaxLength: larger INSTREAM uploads are refused by clamd itself. */
  readonly streamMaxBytes: number;
}

export interface RunningClamd extends Clamd {
  stop(): Promise<void>;
}

/** clamd's path: CLAMD_PATH, else `clamd` on PATH or in /usr/sbin (Debian's clamav-daemon). */
export function clamdBinary(): string | null {
  const candidates = [
    process.env.CLAMD_PATH,
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => dir && join(dir, 'clamd')),
    '/usr/sbin/clamd',
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

/**
 * A real clamd (ClamAV's daemon) for tests, or null when none is installed. It runs in the
 * foreground from a temp directory holding its config and a one-signature database: an `.ndb` body
 * signature for the EICAR string, anywhere in any file. No signature download is needed (or possible
 * here); loading one signature takes well under a second. It listens on an ephemeral loopback TCP port
 * only (no local socket), and runs as the current user: the config sets no `User`, so clamd drops no
 * privileges and root can read its own temp directory.
 */
export async function startClamd(options: { streamMaxBytes?: number } = {}): Promise<RunningClamd | null> {
  const binary = clamdBinary();
  if (!binary) return null;
  const streamMaxBytes = options.streamMaxBytes ?? 4 * 1024 * 1024;
  const dir = await mkdtemp(join(tmpdir(), 'atrium-clamd-'));
  const database = join(dir, 'db');
  const port = await freePort();
  const eicarHex = Buffer.from(EICAR, 'latin1').toString('hex');
  await mkdir(database);
  // clamd appends `.UNOFFICIAL` to the names of signatures outside the official databases.
  await writeFile(join(database, 'atrium-test.ndb'), `Atrium.Test.EICAR:0:*:${eicarHex}\n`);
  await writeFile(
    join(dir, 'clamd.conf'),
    [
      'Foreground yes',
      `TCPSocket ${port}`,
      'TCPAddr 127.0.0.1',
      `DatabaseDirectory ${database}`,
      `TemporaryDirectory ${dir}`,
      `LogFile ${join(dir, 'clamd.log')}`,
      `StreamMaxLength ${streamMaxBytes}`,
      'MaxThreads 2',
      // Nothing to reload: the test database never changes.
      'SelfCheck 0',
      '',
    ].join('\n'),
  );

  const child = spawn(binary, ['--config-file', join(dir, 'clamd.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const stop = async () => {
    await stopChild(child, exited);
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`clamd exited with ${child.exitCode} before answering PING:\n${output}`);
    }
    if ((await ping(port)) === 'PONG') break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`clamd did not answer PING within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { host: '127.0.0.1', port, streamMaxBytes, stop };
}

/**
 * A clamd for this test file (started before its tests, stopped after them), or null when clamd is
 * not installed. Then the caller skips its tests, loudly; under CI (`CI=true`) the missing daemon
 * fails the run instead, since CI installs clamav-daemon (.ci/run).
 */
export function useClamd(options: { streamMaxBytes?: number } = {}): Clamd | null {
  if (!clamdBinary()) {
    if (process.env.CI === 'true') {
      throw new Error('clamd is not installed, and CI requires it: apt-get install clamav-daemon');
    }
    console.warn(
      [
        '',
        '┌──────────────────────────────────────────────────────────────────────┐',
        '│ clamd is not installed: the ClamAV scanner tests are SKIPPED.        │',
        '│ Install it with `apt-get install clamav-daemon` to run them.         │',
        '└──────────────────────────────────────────────────────────────────────┘',
      ].join('\n'),
    );
    return null;
  }
  let running: RunningClamd | undefined;
  beforeAll(async () => {
    running = (await startClamd(options)) ?? undefined;
  });
  afterAll(async () => {
    await running?.stop();
  });
  const current = (): RunningClamd => {
    if (!running) throw new Error('useClamd(): use clamd inside a test or hook');
    return running;
  };
  return {
    host: '127.0.0.1',
    get port() {
      return current().port;
    },
    get streamMaxBytes() {
      return current().streamMaxBytes;
    },
  };
}

/** clamd's answer to `zPING`, or null when nothing answers yet. */
function ping(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1_000, () => done(null));
    socket.once('connect', () => socket.write('zPING\0'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\0')) done(reply.slice(0, reply.indexOf('\0')));
    });
    socket.once('error', () => done(null));
    socket.once('close', () => done(reply || null));
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
