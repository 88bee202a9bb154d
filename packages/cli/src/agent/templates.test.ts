// Tests of template rendering in this process against a dev server, with
// the renderer that the agent runs.
import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_TIMER_DELAY_MS } from '@coffer/sdk';
import { CofferClient } from '../client.js';
import { makeTempDir } from '../test-io.js';
import type { TestServer } from '../test-server.js';
import { startDevServer, testRootToken } from '../test-server.js';
import type { TemplateConfig } from './config.js';
import { AgentLogger } from './log.js';
import { TemplateRenderer, loadTemplates, retryDelayMs } from './templates.js';

describe('template rendering', { timeout: 120_000 }, () => {
  let server: TestServer;
  let root: CofferClient;

  before(async () => {
    server = await startDevServer();
    root = new CofferClient({ address: server.address, token: testRootToken, skipVerify: false });
    await root.write('secret/data/versioned', { data: { password: 'first' } });
    await root.write('secret/data/versioned', { data: { password: 'second' } });
  });

  after(async () => {
    await server.close();
  });

  /** Renders `contents` once with the root token and returns the destination's text. */
  async function renderOnce(contents: string): Promise<string> {
    const folder = await makeTempDir('coffer-template-');
    try {
      const destination = join(folder.path, 'out.txt');
      const config: TemplateConfig = { name: 'contents', contents, destination, perms: 0o600, createDestDirs: false, errorOnMissingKey: true, place: 'template' };
      const options = { staticSecretRenderInterval: 300, maxRetries: 0, exitOnRetryFailure: false, onFatal: () => undefined };
      const renderer = new TemplateRenderer(await loadTemplates([config]), { ...root.config, token: '' }, options, new AgentLogger({ write: () => true }));
      await renderer.renderOnce(testRootToken);
      return await readFile(destination, 'utf8');
    } finally {
      await folder.remove();
    }
  }

  test('secret path takes a version query', async () => {
    assert.equal(await renderOnce('{{ with secret "secret/data/versioned?version=1" }}{{ .Data.data.password }}{{ end }}'), 'first');
    assert.equal(await renderOnce('{{ with secret "secret/versioned?version=1" }}{{ .Data.data.password }}{{ end }}'), 'first');
    assert.equal(await renderOnce('{{ with secret "secret/data/versioned" }}{{ .Data.data.password }}{{ end }}'), 'second');
  });

  test('unchanged text still narrows perms', async () => {
    const folder = await makeTempDir('coffer-template-');
    try {
      const destination = join(folder.path, 'out.txt');
      await writeFile(destination, 'second');
      await chmod(destination, 0o644);
      const contents = '{{ with secret "secret/data/versioned" }}{{ .Data.data.password }}{{ end }}';
      const config: TemplateConfig = { name: 'contents', contents, destination, perms: 0o600, createDestDirs: false, errorOnMissingKey: true, place: 'template' };
      const options = { staticSecretRenderInterval: 300, maxRetries: 0, exitOnRetryFailure: false, onFatal: () => undefined };
      const renderer = new TemplateRenderer(await loadTemplates([config]), { ...root.config, token: '' }, options, new AgentLogger({ write: () => true }));
      await renderer.renderOnce(testRootToken);

      assert.equal(await readFile(destination, 'utf8'), 'second');
      assert.equal((await stat(destination)).mode & 0o7777, 0o600);
    } finally {
      await folder.remove();
    }
  });
});

describe('template retry delay', () => {
  test('retry delay doubles up to 60 s', () => {
    assert.deepEqual([1, 2, 3, 4, 8].map((attempt) => retryDelayMs(attempt)), [250, 500, 1000, 2000, 32_000]);
    assert.equal(retryDelayMs(9), 60_000);
    // 2 ** 2000 is Infinity: the delay still stops at the cap.
    for (const attempt of [100, 2000, Number.MAX_SAFE_INTEGER]) {
      const delay = retryDelayMs(attempt);
      assert.equal(delay, 60_000, `attempt ${attempt}`);
      assert.ok(delay <= MAX_TIMER_DELAY_MS);
    }
  });
});
