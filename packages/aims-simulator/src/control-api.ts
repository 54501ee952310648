import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompanyProvision } from './companies.ts';
import { AimsFailure, SimulatorConfigError } from './failures.ts';
import type { AimsFaults } from './faults.ts';
import { readJsonBody, sendHtml, sendJson } from './http.ts';
import { renderInspectorPage } from './inspector-page.ts';
import type { SimulatorState } from './simulator.ts';

export const CONTROL_PREFIX = '/__sim';

type ControlHandler = (state: SimulatorState, body: unknown, query: URLSearchParams) => unknown;

/** The control API: plain JSON (not AIMS's envelope), outside AIMS's namespace. */
const CONTROL_ROUTES: Record<string, Partial<Record<string, ControlHandler>>> = {
  '/companies': {
    GET: (state) => state.control.companies(),
    POST: (state, body) => state.control.provision(body as CompanyProvision),
  },
  '/faults': {
    GET: (state, _body, query) => state.control.faults(required(query, 'company')),
    POST: (state, body) => {
      const { company, ...faults } = (body ?? {}) as { company?: unknown } & Partial<AimsFaults>;
      if (typeof company !== 'string') throw new SimulatorConfigError('company is required');
      return state.control.setFaults(company, faults);
    },
  },
  '/calls': {
    GET: (state, _body, query) => state.control.calls(required(query, 'company')),
    DELETE: (state, _body, query) => {
      state.control.clearCalls(query.get('company') ?? undefined);
      return { cleared: true };
    },
  },
  '/labels': {
    GET: (state, _body, query) => ({
      labels: state.control.labels(required(query, 'company'), required(query, 'store')),
    }),
  },
  '/articles': {
    GET: (state, _body, query) => ({
      articles: state.control.articles(required(query, 'company'), required(query, 'store')),
    }),
  },
  '/reset': {
    POST: (state, body) => {
      const company = (body as { company?: unknown } | undefined)?.company;
      if (company !== undefined && typeof company !== 'string')
        throw new SimulatorConfigError('company must be a string');
      state.control.reset(company);
      return { reset: company ?? 'everything' };
    },
  },
};

const MAX_CONTROL_BODY_BYTES = 1024 * 1024;

export async function handleControlRequest(
  state: SimulatorState,
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  if (path === '' || path === '/') {
    if (request.method !== 'GET') return sendJson(response, 405, { error: 'GET only' });
    return sendHtml(response, renderInspectorPage(state, query));
  }
  const handler = CONTROL_ROUTES[path]?.[request.method ?? ''];
  if (!handler)
    return sendJson(response, 404, {
      error: `no control endpoint ${request.method} ${CONTROL_PREFIX}${path}`,
    });
  try {
    const body = await readJsonBody(request, MAX_CONTROL_BODY_BYTES);
    sendJson(response, 200, handler(state, body, query));
  } catch (error) {
    if (error instanceof SimulatorConfigError) return sendJson(response, 400, { error: error.message });
    if (error instanceof AimsFailure)
      return sendJson(response, error.status === 413 ? 413 : 400, { error: error.message });
    throw error;
  }
}

function required(query: URLSearchParams, name: string): string {
  const value = query.get(name);
  if (!value) throw new SimulatorConfigError(`${name} is required`);
  return value;
}
