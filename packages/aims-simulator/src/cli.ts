import { parseArgs } from 'node:util';
import type { CompanyProvision } from './companies.ts';
import { startAimsSimulator } from './server.ts';
import type { AimsCluster } from './tokens.ts';

const USAGE = `Usage: node packages/aims-simulator/src/cli.ts [options]

  --port <n>              port to listen on (default 4010; 0 picks a free one)
  --host <address>        address to bind (default 127.0.0.1)
  --company <code>        provision a company at start (more via POST /__sim/companies)
  --cluster <common|c1>   the company's cluster (default common)
  --store <code>          a store of that company (repeatable)
  --username <name>       a user of that company
  --password <secret>     that user's password
  --token-lifetime <s>    expires_in of that company's access tokens (default 3600)
  --help                  show this text`;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4010' },
    host: { type: 'string', default: '127.0.0.1' },
    company: { type: 'string' },
    cluster: { type: 'string', default: 'common' },
    store: { type: 'string', multiple: true, default: [] },
    username: { type: 'string' },
    password: { type: 'string' },
    'token-lifetime': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number (got ${values.port})\n\n${USAGE}`);
  process.exit(2);
}
if ((values.username === undefined) !== (values.password === undefined)) {
  console.error(`--username and --password go together\n\n${USAGE}`);
  process.exit(2);
}

const companies: CompanyProvision[] = [];
if (values.company !== undefined) {
  companies.push({
    code: values.company,
    cluster: values.cluster as AimsCluster,
    stores: values.store,
    users:
      values.username !== undefined && values.password !== undefined
        ? [{ username: values.username, password: values.password }]
        : [],
    ...(values['token-lifetime'] === undefined
      ? {}
      : { tokenLifetimeSeconds: Number(values['token-lifetime']) }),
  });
}

let simulator: Awaited<ReturnType<typeof startAimsSimulator>>;
try {
  simulator = await startAimsSimulator({ port, host: values.host, companies });
} catch (error) {
  console.error(`AIMS simulator could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

console.log(`AIMS simulator listening on ${simulator.url}`);
console.log(`  AIMS API:  ${simulator.url}/common/api/v2/... and ${simulator.url}/c1/common/api/v2/...`);
console.log(`  inspector: ${simulator.url}/__sim`);

const stop = (signal: NodeJS.Signals) => {
  console.log(`AIMS simulator stopping (${signal})`);
  simulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('AIMS simulator did not close cleanly', error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
