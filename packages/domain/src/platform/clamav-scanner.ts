import { Socket } from 'node:net';
import { ExternalServiceError } from '../errors.ts';
import type { LogSink } from './logger.ts';
import {
  releaseInput,
  type ScanErrorKind,
  type ScanInput,
  type Scanner,
  type ScanResult,
} from './scanner.ts';

export interface ClamavScannerOptions {
  /** CLAMAV_HOST */
  host: string;
  /** CLAMAV_PORT (clamd's TCPSocket; 3310 by convention) */
  port: number;
  /**
   * CLAMAV_MAX_BYTES: larger inputs are not sent and come back as the error `too-large`. Keep it at
   * or below clamd's `StreamMaxLength` (25M in Debian's clamd.conf, 100M built in), past which clamd
   * refuses the stream itself.
   */
  maxBytes?: number;
  timeouts?: Partial<ClamavTimeouts>;
  /** Failures are logged here (kind and clamd's address; never file contents). */
  log?: LogSink;
}

export interface ClamavTimeouts {
  /** TCP connect. */
  connectMs: number;
  /** The whole scan, from connecting to clamd's verdict. */
  scanMs: number;
}

export const DEFAULT_CLAMAV_TIMEOUTS: ClamavTimeouts = { connectMs: 5_000, scanMs: 60_000 };
/** Debian's packaged clamd.conf sets `StreamMaxLength 25M`: the default stays within it. */
export const DEFAULT_CLAMAV_MAX_BYTES = 25 * 1024 * 1024;
/** Size of one INSTREAM chunk; clamd takes any size up to StreamMaxLength, 64 KiB keeps memory flat. */
const CHUNK_BYTES = 64 * 1024;

/**
 * A Scanner speaking clamd's `INSTREAM` command over TCP (clamd(8), "IDSESSION/INSTREAM"): the
 * command, then the bytes as chunks each prefixed by its length (4 bytes, big-endian), then a
 * zero-length chunk; clamd answers one line, `stream: OK`, `stream: <signature> FOUND` or
 * `<reason> ERROR`. The `z` command prefix makes every message and reply NUL-terminated. One connection
 * per scan: clamd closes it after the verdict.
 */
export function createClamavScanner(options: ClamavScannerOptions): Scanner {
  const timeouts = { ...DEFAULT_CLAMAV_TIMEOUTS, ...options.timeouts };
  const maxBytes = options.maxBytes ?? DEFAULT_CLAMAV_MAX_BYTES;
  const target = `${options.host}:${options.port}`;

  const failed = (kind: ScanErrorKind, message: string): ScanResult => {
    options.log?.warn({ clamd: target, kind }, 'virus scan failed');
    return { verdict: 'error', engine: 'clamav', error: kind, message };
  };

  return {
    engine: 'clamav',

    async scan(input) {
      const session = await openSession(options.host, options.port, timeouts);
      if ('failure' in session) return failed(session.failure, session.message);
      const { socket, reply, timedOut } = session;
      // The scan owns a stream it is given: when the connection ends early (timeout, clamd hanging
      // up), the stream is destroyed too, so a stalled read cannot outlive the scan.
      socket.once('close', () => releaseInput(input));
      let outcome: { kind: ScanErrorKind; message: string } | null = null;
      let sentAll = false;
      try {
        await send(socket, Buffer.from('zINSTREAM\0'));
        let sent = 0;
        for await (const chunk of chunksOf(input)) {
          if (socket.destroyed) break; // clamd answered early (its own limit) or the scan timed out
          sent += chunk.byteLength;
          if (sent > maxBytes) {
            outcome = {
              kind: 'too-large',
              message: `The file is larger than the ${maxBytes} bytes the scanner takes`,
            };
            break;
          }
          const header = Buffer.alloc(4);
          header.writeUInt32BE(chunk.byteLength);
          socket.write(header);
          await send(socket, chunk);
        }
        if (!outcome && !socket.destroyed) {
          await send(socket, Buffer.alloc(4));
          sentAll = true;
        }
      } catch (error) {
        // A write failing because clamd hung up is answered by its reply (read below); anything else
        // came from reading the input.
        if (!timedOut() && !isSocketError(error) && !socket.destroyed) {
          outcome = { kind: 'input', message: `Reading the file failed: ${messageOf(error)}` };
        }
      }
      if (outcome) {
        socket.destroy();
        return failed(outcome.kind, outcome.message);
      }
      const text = await reply;
      socket.destroy();
      if (timedOut()) return failed('timeout', `clamd gave no verdict within ${timeouts.scanMs} ms`);
      if (text === '' && !sentAll) {
        // clamd stops reading and hangs up on a stream past its StreamMaxLength; its reply saying so
        // is lost when the connection is reset under bytes still in flight. Keeping maxBytes at or
        // below StreamMaxLength makes the limit ours, and the answer a certain `too-large`.
        return failed(
          'engine',
          'clamd closed the connection before the whole file was sent (past its StreamMaxLength?)',
        );
      }
      return verdictOf(text, failed);
    },

    async ping() {
      const session = await openSession(options.host, options.port, {
        ...timeouts,
        scanMs: timeouts.connectMs,
      });
      if ('failure' in session) throw new ExternalServiceError('UNAVAILABLE', 'clamav', session.message);
      session.socket.write('zPING\0');
      const text = await session.reply;
      session.socket.destroy();
      if (text !== 'PONG') {
        throw new ExternalServiceError(
          'UNAVAILABLE',
          'clamav',
          `clamd did not answer PING (${text || 'no reply'})`,
        );
      }
    },
  };
}

/** clamd's one-line answer → a verdict. */
function verdictOf(text: string, failed: (kind: ScanErrorKind, message: string) => ScanResult): ScanResult {
  if (text === 'stream: OK') return { verdict: 'clean', engine: 'clamav' };
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found?.[1]) return { verdict: 'infected', engine: 'clamav', signature: found[1] };
  if (/size limit exceeded/i.test(text)) return failed('too-large', `clamd refused the file: ${text}`);
  if (text.endsWith('ERROR')) return failed('engine', `clamd failed: ${text.slice(0, 200)}`);
  if (text === '') return failed('unreachable', 'clamd closed the connection without a verdict');
  return failed('protocol', `Unexpected reply from clamd: ${text.slice(0, 200)}`);
}

interface Session {
  socket: Socket;
  /** clamd's reply up to its NUL, or what arrived before the connection closed ('' for nothing). */
  reply: Promise<string>;
  timedOut(): boolean;
}

/**
 * Connects within `connectMs`, and arms the whole-scan timer: when it fires the socket is destroyed,
 * which ends the reply (empty) and any write in progress.
 */
function openSession(
  host: string,
  port: number,
  timeouts: ClamavTimeouts,
): Promise<Session | { failure: ScanErrorKind; message: string }> {
  return new Promise((resolve) => {
    const socket = new Socket();
    let timedOut = false;
    let received = '';
    const reply = new Promise<string>((settle) => {
      socket.on('data', (data: Buffer) => {
        received += data.toString('utf8');
        const end = received.indexOf('\0');
        if (end !== -1) settle(received.slice(0, end).trim());
        // A reply is one short line; a peer that streams more is not clamd.
        else if (received.length > 4096) socket.destroy();
      });
      socket.once('close', () => settle(received.replace(/\0.*$/s, '').trim()));
    });
    const scanTimer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeouts.scanMs);
    socket.once('close', () => clearTimeout(scanTimer));

    const connectTimer = setTimeout(() => {
      socket.destroy();
      resolve({
        failure: 'timeout',
        message: `clamd at ${host}:${port} did not accept a connection in time`,
      });
    }, timeouts.connectMs);
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      resolve({ socket, reply, timedOut: () => timedOut });
    });
    socket.on('error', (error) => {
      clearTimeout(connectTimer);
      resolve({
        failure: 'unreachable',
        message: `clamd at ${host}:${port} is unreachable: ${messageOf(error)}`,
      });
    });
    socket.connect(port, host);
  });
}

/** Writes and waits until the bytes are handed to the kernel, so memory holds one chunk at a time. */
function send(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(Object.assign(new Error('socket closed'), { code: 'ERR_SOCKET_CLOSED' }));
      return;
    }
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

async function* chunksOf(input: ScanInput): AsyncGenerator<Uint8Array> {
  const source = input instanceof Uint8Array ? [input] : input;
  for await (const piece of source) {
    for (let offset = 0; offset < piece.byteLength; offset += CHUNK_BYTES) {
      yield piece.subarray(offset, offset + CHUNK_BYTES);
    }
  }
}

function isSocketError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return [
    'EPIPE',
    'ECONNRESET',
    'ERR_SOCKET_CLOSED',
    'ERR_STREAM_DESTROYED',
    'ERR_STREAM_WRITE_AFTER_END',
  ].includes(code);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
