import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

describe('the CLI', () => {
  it('starts on the port given, provisions the company given, prints its URL and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        '--port',
        '0',
        '--company',
        'DEMO',
        '--store',
        'S001',
        '--username',
        'demo@example',
        '--password',
        'pw',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      const deadline = Date.now() + 15_000;
      let url: string | undefined;
      while (!url && Date.now() < deadline) {
        url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
        if (!url) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(url, output).toBeDefined();

      const token = await fetch(`${url}/common/api/v2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'demo@example', password: 'pw' }),
      });
      expect(token.status).toBe(200);
      const companies = (await (await fetch(`${url}/__sim/companies`)).json()) as Array<{ code: string }>;
      expect(companies.map((company) => company.code)).toEqual(['DEMO']);

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(output).toContain('stopping (SIGTERM)');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses a bad port with usage and exit code 2', async () => {
    const child = spawn(process.execPath, [CLI, '--port', 'eighty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('--port must be a port number');
  });
});
