import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadText, loadTextError } from './test-helpers.js';
import type { ListenerConfig } from './types.js';

const PLAIN_DEFAULTS: ListenerConfig = {
  type: 'tcp',
  address: '127.0.0.1:8200',
  tlsDisable: true,
  tlsRequireAndVerifyClientCert: false,
  tlsDisableClientCerts: false,
};

describe('listener settings', () => {
  test('address defaults to 127.0.0.1:8200', async (t) => {
    const config = await loadText(t, 'config.hcl', 'listener "tcp" {\n  tls_disable = true\n}\n');
    assert.deepEqual(config.listeners, [PLAIN_DEFAULTS]);
  });

  test('every setting', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `listener "tcp" {
  type                               = "tcp"
  address                            = "[::1]:8443"
  tls_disable                        = false
  tls_cert_file                      = "/tls/cert.pem"
  tls_key_file                       = "/tls/key.pem"
  tls_client_ca_file                 = "/tls/clients.pem"
  tls_require_and_verify_client_cert = true
  tls_disable_client_certs           = false
}
`,
    );
    assert.deepEqual(config.listeners, [
      {
        type: 'tcp',
        address: '[::1]:8443',
        tlsDisable: false,
        tlsCertFile: '/tls/cert.pem',
        tlsKeyFile: '/tls/key.pem',
        tlsClientCaFile: '/tls/clients.pem',
        tlsRequireAndVerifyClientCert: true,
        tlsDisableClientCerts: false,
      },
    ]);
    assert.deepEqual(config.ignoredSettings, []);
  });

  test('client certificate asked but not required', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `listener "tcp" {
  tls_cert_file      = "/tls/cert.pem"
  tls_key_file       = "/tls/key.pem"
  tls_client_ca_file = "/tls/clients.pem"
}
`,
    );
    const [listener] = config.listeners;
    assert.equal(listener.tlsDisable, false);
    assert.equal(listener.tlsClientCaFile, '/tls/clients.pem');
    assert.equal(listener.tlsRequireAndVerifyClientCert, false);
    assert.equal(listener.tlsDisableClientCerts, false);
  });

  test('client certificates disabled', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `listener "tcp" {
  tls_cert_file            = "/tls/cert.pem"
  tls_key_file             = "/tls/key.pem"
  tls_disable_client_certs = "true"
}
`,
    );
    assert.equal(config.listeners[0].tlsDisableClientCerts, true);
  });

  test('tls_disable spellings', async (t) => {
    const cases: Array<[string, boolean]> = [
      ['true', true],
      ['"true"', true],
      ['1', true],
      ['"1"', true],
      ['"T"', true],
      ['false', false],
      ['"false"', false],
      ['0', false],
      ['"0"', false],
      ['"F"', false],
    ];
    for (const [written, expected] of cases) {
      const tls = expected ? '' : '  tls_cert_file = "/c.pem"\n  tls_key_file = "/k.pem"\n';
      const config = await loadText(t, 'config.hcl', `listener "tcp" {\n  tls_disable = ${written}\n${tls}}\n`);
      assert.equal(config.listeners[0].tlsDisable, expected, `tls_disable = ${written}`);
    }
  });

  test('label is case-insensitive', async (t) => {
    const config = await loadText(t, 'config.hcl', 'listener "TCP" {\n  tls_disable = true\n}\n');
    assert.deepEqual(config.listeners, [PLAIN_DEFAULTS]);
  });

  test('unquoted label', async (t) => {
    const config = await loadText(t, 'config.hcl', 'listener tcp {\n  tls_disable = true\n}\n');
    assert.deepEqual(config.listeners, [PLAIN_DEFAULTS]);
  });

  test('ignored settings are recorded', async (t) => {
    const config = await loadText(
      t,
      'config.hcl',
      `listener "tcp" {
  tls_disable          = true
  cluster_address      = "127.0.0.1:8201"
  max_request_duration = "90s"
}
listener "tcp" {
  address              = "127.0.0.1:8300"
  tls_disable          = true
  max_request_duration = 30
}
`,
    );
    assert.equal(config.listeners.length, 2);
    assert.deepEqual(config.ignoredSettings, ['listener.cluster_address', 'listener.max_request_duration']);
  });
});

describe('listener errors', () => {
  test('TLS on without a certificate', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      `ui = true

listener "tcp" {
  address      = "0.0.0.0:8200"
  tls_key_file = "/tls/key.pem"
}
`,
    );
    assert.equal(
      error.message,
      `${file}:3,1: listener "tcp" on 0.0.0.0:8200 has TLS on (Vault's default) but no "tls_cert_file". Set tls_cert_file and tls_key_file, or set tls_disable = true to serve plain HTTP.`,
    );
    assert.equal(error.setting, 'listener.tls_cert_file');
  });

  test('TLS on without a key', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'listener "tcp" {\n  tls_cert_file = "/tls/cert.pem"\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:1,1: listener "tcp" on 127.0.0.1:8200 has TLS on (Vault's default) but no "tls_key_file". Set tls_cert_file and tls_key_file, or set tls_disable = true to serve plain HTTP.`,
    );
    assert.equal(error.setting, 'listener.tls_key_file');
  });

  test('client certificates required and disabled', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      `listener "tcp" {
  tls_cert_file                      = "/tls/cert.pem"
  tls_key_file                       = "/tls/key.pem"
  tls_require_and_verify_client_cert = true
  tls_disable_client_certs           = true
}
`,
    );
    assert.equal(
      error.message,
      `${file}:1,1: "tls_require_and_verify_client_cert" and "tls_disable_client_certs" are both true in listener "tcp" on 127.0.0.1:8200, but a listener cannot require client certificates and refuse them. Set one of them to false.`,
    );
  });

  test('unix listener label', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'ui = true\nlistener "unix" {\n  address = "/run/coffer.sock"\n}\n',
    );
    assert.equal(error.message, `${file}:2,1: unsupported listener type "unix". Coffer supports only "tcp" listeners.`);
    assert.equal(error.setting, 'listener');
  });

  test('type setting other than tcp', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'listener "tcp" {\n  type = "unix"\n  tls_disable = true\n}\n',
    );
    assert.equal(error.message, `${file}:2,3: unsupported listener type "unix". Coffer supports only "tcp" listeners.`);
    assert.equal(error.setting, 'listener.type');
  });

  test('unknown setting in second listener', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      `listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
}

listener "tcp" {
  address       = "127.0.0.1:8300"
  tls_cert_fil  = "/tls/cert.pem"
}
`,
    );
    assert.equal(
      error.message,
      `${file}:8,3: unknown setting "tls_cert_fil" in listener "tcp". Did you mean "tls_cert_file"?`,
    );
    assert.equal(error.line, 8);
    assert.equal(error.column, 3);
    assert.equal(error.setting, 'listener.tls_cert_fil');
  });

  test('object member name is unknown', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'listener "tcp" {\n  constructor = 1\n}\n');
    assert.equal(error.message, `${file}:2,3: unknown setting "constructor" in listener "tcp"`);
  });

  test('unknown setting without a suggestion', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'listener "tcp" {\n  tls_disable = true\n  proxy_protocol_behavior = "use_always"\n}\n',
    );
    assert.equal(error.message, `${file}:3,3: unknown setting "proxy_protocol_behavior" in listener "tcp"`);
  });

  test('tls_disable of wrong type', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'listener "tcp" {\n  tls_disable = "yes"\n}\n');
    assert.equal(
      error.message,
      `${file}:2,3: invalid "tls_disable" in listener "tcp": expected a boolean (true or false), got "yes"`,
    );
    assert.equal(error.setting, 'listener.tls_disable');
  });

  test('tls_disable named like an object member', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'listener "tcp" {\n  tls_disable = "toString"\n}\n');
    assert.equal(
      error.message,
      `${file}:2,3: invalid "tls_disable" in listener "tcp": expected a boolean (true or false), got "toString"`,
    );
  });

  test('tls_disable number other than 0 or 1', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'listener "tcp" {\n  tls_disable = 2\n}\n');
    assert.equal(
      error.message,
      `${file}:2,3: invalid "tls_disable" in listener "tcp": expected a boolean (true or false), got 2`,
    );
  });

  test('tls_cert_file of wrong type', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.json',
      '{\n  "listener": {"tcp": {\n    "tls_cert_file": ["/a.pem"]\n  }}\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:3,5: invalid "tls_cert_file" in listener "tcp": expected a string, got a list`,
    );
  });

  test('address without a port', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'listener "tcp" {\n  address = "localhost"\n  tls_disable = true\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:2,3: invalid "address" in listener "tcp": expected host:port such as "127.0.0.1:8200", got "localhost"`,
    );
  });

  test('address port out of range', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'listener "tcp" {\n  address = "127.0.0.1:70000"\n  tls_disable = true\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:2,3: invalid "address" in listener "tcp": expected host:port such as "127.0.0.1:8200", got "127.0.0.1:70000"`,
    );
  });

  test('address template', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'listener "tcp" {\n  address = "{{ GetPrivateIP }}:8200"\n  tls_disable = true\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:2,3: invalid "address" in listener "tcp": go-sockaddr templates such as "{{ GetPrivateIP }}:8200" are not supported, so write the address itself`,
    );
  });

  test('max_request_duration of wrong type', async (t) => {
    const { file, error } = await loadTextError(
      t,
      'config.hcl',
      'listener "tcp" {\n  tls_disable = true\n  max_request_duration = "soon"\n}\n',
    );
    assert.equal(
      error.message,
      `${file}:3,3: invalid "max_request_duration" in listener "tcp": expected a duration such as "768h" or "30m", or a whole number of seconds, got "soon"`,
    );
  });

  test('listener without a label', async (t) => {
    const { file, error } = await loadTextError(t, 'config.hcl', 'listener {\n  address = "127.0.0.1:8200"\n}\n');
    assert.equal(error.message, `${file}:1,1: the listener stanza needs a type label, as in listener "tcp" { ... }`);
  });
  test('telemetry block opens metrics', async (t) => {
    const config = await loadText(t, 'config.hcl', 'listener "tcp" {\n  tls_disable = true\n  telemetry {\n    unauthenticated_metrics_access = true\n  }\n}\n');
    assert.deepEqual(config.listeners, [{ ...PLAIN_DEFAULTS, unauthenticatedMetricsAccess: true }]);
    const { error } = await loadTextError(t, 'config.hcl', 'listener "tcp" {\n  tls_disable = true\n  telemetry {\n    open = true\n  }\n}\n');
    assert.match(error.message, /unknown setting "telemetry.open" in listener "tcp"/);
  });
});
