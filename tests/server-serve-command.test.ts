import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadServeConfig, serveCommand } from '../cli/serve-command.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipstream-serve-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('slipstream serve configuration', () => {
  it('layers flags over the config file and fills in defaults', async () => {
    const path = join(dir, 'config.json');
    await writeFile(
      path,
      JSON.stringify({
        serverName: 'example.org',
        homeserverUrl: 'http://127.0.0.1:8008',
        dataDir: '/var/lib/slipstream',
        limits: { pendingUploadsPerUser: 3 },
      }),
    );
    const config = await loadServeConfig(['--config', path, '--port', '9000', '--max-upload-size', '1048576']);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(config.limits).toMatchObject({
      maxUploadBytes: 1048576,
      pendingUploadsPerUser: 3,
      unusedExpiryMs: 86_400_000,
      defaultDownloadTimeoutMs: 20_000,
    });
  });

  it('exits 2 with a one-line reason for an invalid configuration', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    try {
      expect(await serveCommand(['--server-name', 'example.org', '--port=-1'])).toBe(2);
      expect(await serveCommand(['--server-name', 'example.org', '--data-dir', dir])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]).toMatch(/--port must be a whole number/);
    expect(errors.join('\n')).toMatch(/homeserverUrl/);
  });
});
