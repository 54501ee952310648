import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAimsRequest } from './aims-api.ts';
import { CONTROL_PREFIX, handleControlRequest } from './control-api.ts';
import { sendEnvelope } from './http.ts';
import { type AimsSimulatorControl, SimulatorState, type SimulatorStateOptions } from './simulator.ts';
import type { AimsCluster } from './tokens.ts';

export interface AimsSimulatorOptions extends SimulatorStateOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1: the control API has no authentication, so keep it on loopback. */
  host?: string;
  /** Largest request body accepted (413 beyond). Default 8 MiB: 500 articles with rich data fit easily. */
  maxBodyBytes?: number;
  /** Unexpected errors (a bug in the simulator) go here; default stderr. */
  onError?: (error: unknown) => void;
}

export interface RunningAimsSimulator {
  /** `http://host:port`: the AIMS base URL; the cluster prefix (`/common`, `/c1/common`) follows it. */
  url: string;
  port: number;
  control: AimsSimulatorControl;
  /** Stops listening and drops every open connection, hanging calls included. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/** The two AIMS SaaS clusters, as path prefixes of the same host (OpenAPI `servers: /c1/common || /common`). */
const CLUSTER_PREFIXES: ReadonlyArray<[prefix: string, cluster: AimsCluster]> = [
  ['/c1/common/', 'c1'],
  ['/common/', 'common'],
];

/** Starts the AIMS simulator on a real socket. */
export async function startAimsSimulator(options: AimsSimulatorOptions = {}): Promise<RunningAimsSimulator> {
  const state = new SimulatorState(options);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const onError =
    options.onError ?? ((error: unknown) => console.error('aims-simulator: unexpected error', error));

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname;
    if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
      return handleControlRequest(
        state,
        request,
        response,
        path.slice(CONTROL_PREFIX.length),
        url.searchParams,
      );
    }
    for (const [prefix, cluster] of CLUSTER_PREFIXES) {
      if (path.startsWith(prefix)) {
        return handleAimsRequest(state, request, response, {
          cluster,
          path: path.slice(prefix.length - 1),
          query: url.searchParams,
          maxBodyBytes,
        });
      }
    }
    sendEnvelope(response, 404, 'Not Found');
  };

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      onError(error);
      sendEnvelope(response, 500, 'Failed to process request operation');
    });
  });
  // A client hanging up mid-request is its own business, not the simulator's.
  server.on('clientError', (_error, socket) => socket.destroy());

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    control: state.control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
