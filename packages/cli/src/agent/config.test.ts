import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeTempDir } from '../test-io.js';
import type { AgentConfig } from './config.js';
import { loadAgentConfig } from './config.js';

const hclConfig = `
pid_file = "/run/agent.pid"

vault {
  address         = "https://127.0.0.1:8200/"
  ca_cert         = "/etc/ca.pem"
  tls_server_name = "coffer.internal"

  retry {
    num_retries = 5
  }
}

auto_auth {
  method "approle" {
    mount_path  = "auth/ci"
    max_backoff = "30s"
    config = {
      role_id_file_path                   = "/etc/role-id"
      secret_id_file_path                 = "/etc/secret-id"
      remove_secret_id_file_after_reading = false
    }
  }

  sink "file" {
    wrap_ttl = "5m"
    config = {
      path = "/run/token"
      mode = 0600
    }
  }
}

listener "tcp" {
  address     = "127.0.0.1:8100"
  tls_disable = "true"
}

cache {
  use_auto_auth_token = "force"
}

template_config {
  static_secret_render_interval = "90s"
}

template {
  destination = "/etc/app.conf"
  perms       = "0640"
  command     = "echo \\"done\\""
  contents    = <<-EOT
    {{ with secret "secret/data/app" }}
      {{ .Data.data.password }}
    {{ end }}
    EOT
}
`;

const jsonConfig = {
  pid_file: '/run/agent.pid',
  vault: { address: 'https://127.0.0.1:8200/', ca_cert: '/etc/ca.pem', tls_server_name: 'coffer.internal', retry: { num_retries: 5 } },
  auto_auth: {
    method: [
      {
        type: 'approle',
        mount_path: 'auth/ci',
        max_backoff: '30s',
        config: { role_id_file_path: '/etc/role-id', secret_id_file_path: '/etc/secret-id', remove_secret_id_file_after_reading: false },
      },
    ],
    sink: [{ file: { wrap_ttl: '5m', config: { path: '/run/token', mode: '0600' } } }],
  },
  listener: { tcp: { address: '127.0.0.1:8100', tls_disable: true } },
  cache: { use_auto_auth_token: 'force' },
  template_config: { static_secret_render_interval: 90 },
  template: [
    {
      destination: '/etc/app.conf',
      perms: '0640',
      command: 'echo "done"',
      contents: '{{ with secret "secret/data/app" }}\n  {{ .Data.data.password }}\n{{ end }}\n',
    },
  ],
};

/** The settings both formats must produce, without the parts that name the file. */
function summary(config: AgentConfig): unknown {
  const { files: _files, method, templates, ...rest } = config;
  return {
    ...rest,
    method: method === undefined ? undefined : { ...method, config: method.config.values },
    templates: templates.map(({ place: _place, ...template }) => template),
  };
}

describe('agent config', () => {
  test('HCL and JSON read the same', async () => {
    const folder = await makeTempDir('coffer-agent-config-');
    try {
      await writeFile(join(folder.path, 'agent.hcl'), hclConfig);
      await writeFile(join(folder.path, 'agent.json'), JSON.stringify(jsonConfig));
      const fromHcl = await loadAgentConfig([join(folder.path, 'agent.hcl')]);
      const fromJson = await loadAgentConfig([join(folder.path, 'agent.json')]);

      assert.deepEqual(summary(fromHcl), summary(fromJson));
      assert.deepEqual(fromHcl.server, { address: 'https://127.0.0.1:8200', caCert: '/etc/ca.pem', tlsServerName: 'coffer.internal', tlsSkipVerify: false, numRetries: 5 });
      assert.equal(fromHcl.method?.mountPath, 'ci');
      assert.equal(fromHcl.method?.minBackoff, 1);
      assert.equal(fromHcl.method?.maxBackoff, 30);
      assert.deepEqual(fromHcl.sinks, [{ path: '/run/token', mode: 0o600, wrapTtl: 300 }]);
      assert.deepEqual(fromHcl.listeners, [{ address: '127.0.0.1:8100', tlsDisable: true, requireRequestHeader: false }]);
      assert.equal(fromHcl.useAutoAuthToken, 'force');
      assert.equal(fromHcl.staticSecretRenderInterval, 90);
      assert.equal(fromHcl.templates[0].contents, '{{ with secret "secret/data/app" }}\n  {{ .Data.data.password }}\n{{ end }}\n');
      assert.equal(fromHcl.templates[0].perms, 0o640);
      assert.equal(fromHcl.templates[0].command, 'echo "done"');
    } finally {
      await folder.remove();
    }
  });

  test('folder merges files in name order', async () => {
    const folder = await makeTempDir('coffer-agent-config-');
    try {
      const configs = join(folder.path, 'agent.d');
      await mkdir(configs);
      await writeFile(join(configs, '10-auth.hcl'), 'auto_auth {\n  method "token_file" {\n    config = {\n      token_file_path = "/etc/token"\n    }\n  }\n}\n');
      await writeFile(join(configs, '20-templates.json'), JSON.stringify({ template: { destination: '/tmp/a', contents: 'a' } }));
      await writeFile(join(configs, '30-templates.hcl'), 'exit_after_auth = true\ntemplate {\n  destination = "/tmp/b"\n  source = "/tmp/b.tpl"\n}\n');
      await writeFile(join(configs, 'notes.txt'), 'not a config');
      const config = await loadAgentConfig([configs]);

      assert.equal(config.method?.type, 'token_file');
      assert.deepEqual(config.templates.map((template) => template.destination), ['/tmp/a', '/tmp/b']);
      assert.equal(config.templates[1].name, '/tmp/b.tpl');
      assert.equal(config.exitAfterAuth, true);
      assert.deepEqual(config.files, ['10-auth.hcl', '20-templates.json', '30-templates.hcl'].map((name) => join(configs, name)));
    } finally {
      await folder.remove();
    }
  });

  test('method type field form', async () => {
    const folder = await makeTempDir('coffer-agent-config-');
    try {
      const path = join(folder.path, 'agent.hcl');
      await writeFile(path, 'auto_auth {\n  method {\n    type = "userpass"\n    config {\n      username = "app"\n      password = "p"\n    }\n  }\n}\n');
      const config = await loadAgentConfig([path]);
      assert.equal(config.method?.type, 'userpass');
      assert.equal(config.method?.mountPath, 'userpass');
      assert.equal(config.method?.config.string('username'), 'app');
    } finally {
      await folder.remove();
    }
  });

  test('cache stanza turns caching on', async () => {
    const folder = await makeTempDir('coffer-agent-config-');
    try {
      const base = 'listener "tcp" {\n  address = "127.0.0.1:8100"\n  tls_disable = true\n}\n';
      const cached = join(folder.path, 'cached.hcl');
      const proxied = join(folder.path, 'proxied.hcl');
      await writeFile(cached, `${base}cache {}\n`);
      await writeFile(proxied, `${base}api_proxy {\n  use_auto_auth_token = false\n}\n`);

      assert.equal((await loadAgentConfig([cached])).cache, true);
      assert.equal((await loadAgentConfig([proxied])).cache, false);
    } finally {
      await folder.remove();
    }
  });

  test('cache persist is rejected', async () => {
    const folder = await makeTempDir('coffer-agent-config-');
    try {
      const path = join(folder.path, 'agent.hcl');
      await writeFile(path, 'listener "tcp" {\n  address = "127.0.0.1:8100"\n  tls_disable = true\n}\ncache {\n  persist "kubernetes" {\n    path = "/vault/agent-cache"\n  }\n}\n');
      await assert.rejects(loadAgentConfig([path]), {
        message: `${path}:6: cache.persist: the persistent cache is not supported by coffer agent, which keeps its cache in memory only; remove persist`,
      });
    } finally {
      await folder.remove();
    }
  });
});
