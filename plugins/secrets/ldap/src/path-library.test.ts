import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  addPerson,
  assertRejectedUnchanged,
  binds,
  createHarness,
  dataOf,
  DIRECTORY,
  leaseOf,
  managerConfig,
  slapdSkipReason,
  startTestDirectory,
  uniqueName,
  type Harness,
  type TestDirectory,
} from './test-support.js';

describe('library sets', { skip: slapdSkipReason() ?? false }, () => {
  let directory: TestDirectory;

  before(async () => {
    directory = await startTestDirectory();
  });

  after(async () => {
    await directory?.stop();
  });

  /** Configures an engine and adds `count` accounts under ou=people; returns both, with the accounts' DNs. */
  async function setUp(count: number): Promise<{ harness: Harness; accounts: string[]; dns: string[] }> {
    const harness = createHarness();
    await harness.send('update', 'config', managerConfig(directory));
    const accounts: string[] = [];
    const dns: string[] = [];
    for (let index = 0; index < count; index++) {
      const name = uniqueName('lib');
      accounts.push(name);
      dns.push(await addPerson(directory, name, 'initial-pass-1'));
    }
    return { harness, accounts, dns };
  }

  test('write, read and list sets', async () => {
    const { harness, accounts } = await setUp(2);

    await harness.send('update', 'library/team', { service_account_names: accounts.join(','), ttl: '1h', max_ttl: '2h' });

    assert.deepEqual(dataOf(await harness.send('read', 'library/team')), {
      service_account_names: accounts,
      ttl: 3600,
      max_ttl: 7200,
      disable_check_in_enforcement: false,
    });
    assert.deepEqual(dataOf(await harness.send('list', 'library/')).keys, ['team']);
    assert.deepEqual(dataOf(await harness.send('read', 'library/team/status')), {
      [accounts[0]]: { available: true },
      [accounts[1]]: { available: true },
    });
  });

  test('set defaults to 24 hours', async () => {
    const { harness, accounts } = await setUp(1);

    await harness.send('update', 'library/team', { service_account_names: accounts });

    const data = dataOf(await harness.send('read', 'library/team'));
    assert.equal(data.ttl, 86400);
    assert.equal(data.max_ttl, 86400);
  });

  test('invalid sets are rejected', async () => {
    const { harness, accounts } = await setUp(2);
    await harness.send('update', 'library/first', { service_account_names: [accounts[0]] });
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'missing required field "service_account_names"'],
      [{ service_account_names: [accounts[1], accounts[1]] }, 'invalid field "service_account_names": a name is listed twice'],
      [{ service_account_names: 'nobody-here' }, `invalid field "service_account_names": no entry under "${DIRECTORY.peopleDn}" has cn=nobody-here`],
      [{ service_account_names: [accounts[0]] }, `invalid field "service_account_names": "${accounts[0]}" already belongs to library set "first"`],
      [{ service_account_names: [accounts[1]], ttl: '3h', max_ttl: '2h' }, 'invalid field "ttl": 10800 s is longer than "max_ttl" of 7200 s'],
    ];

    for (const [data, message] of cases) {
      await assertRejectedUnchanged(harness, () => harness.send('update', 'library/second', data), message);
    }
  });

  test('check-out lends a working password', async () => {
    const { harness, accounts, dns } = await setUp(1);
    await harness.send('update', 'library/team', { service_account_names: accounts, ttl: '1h', max_ttl: '2h' });

    const response = await harness.send('update', 'library/team/check-out', { ttl: '30m' });

    const data = dataOf(response);
    assert.equal(data.service_account_name, accounts[0]);
    assert.equal(response!.secret!.ttl, 1800);
    assert.equal(response!.secret!.maxTtl, 7200);
    assert.equal(await binds(directory, dns[0], data.password as string), true);
    assert.equal(await binds(directory, dns[0], 'initial-pass-1'), false);
    assert.deepEqual(dataOf(await harness.send('read', 'library/team/status')), {
      [accounts[0]]: { available: false, borrower_client_token: 'salted' },
    });
  });

  test('only account is lent once until check-in', async () => {
    const { harness, accounts, dns } = await setUp(1);
    await harness.send('update', 'library/team', { service_account_names: accounts });
    const lent = dataOf(await harness.send('update', 'library/team/check-out')).password as string;

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'library/team/check-out'),
      'no service accounts are available for check-out in library set "team"; check one in first',
    );

    assert.deepEqual(dataOf(await harness.send('update', 'library/team/check-in')), { check_ins: [accounts[0]] });
    assert.equal(await binds(directory, dns[0], lent), false);
    const again = dataOf(await harness.send('update', 'library/team/check-out'));
    assert.notEqual(again.password, lent);
    assert.equal(await binds(directory, dns[0], again.password as string), true);
  });

  test('check-in by another token is refused', async () => {
    const { harness, accounts, dns } = await setUp(1);
    await harness.send('update', 'library/team', { service_account_names: accounts });
    const lent = dataOf(await harness.send('update', 'library/team/check-out')).password as string;

    await assertRejectedUnchanged(
      harness,
      () => harness.sendAs('other-token', 'update', 'library/team/check-in', { service_account_names: accounts }),
      `"${accounts[0]}" was checked out by another token; only its borrower or library/manage/team/check-in may return it`,
      403,
    );
    assert.deepEqual(dataOf(await harness.sendAs('other-token', 'update', 'library/team/check-in')), { check_ins: [] });

    assert.deepEqual(dataOf(await harness.sendAs('other-token', 'update', 'library/manage/team/check-in')), { check_ins: [accounts[0]] });
    assert.equal(await binds(directory, dns[0], lent), false);
  });

  test('disabled enforcement lets any token check in', async () => {
    const { harness, accounts } = await setUp(1);
    await harness.send('update', 'library/team', { service_account_names: accounts, disable_check_in_enforcement: true });
    await harness.send('update', 'library/team/check-out');

    assert.deepEqual(dataOf(await harness.sendAs('other-token', 'update', 'library/team/check-in', { service_account_names: accounts })), { check_ins: [accounts[0]] });
  });

  test('check-in names must be in the set', async () => {
    const { harness, accounts } = await setUp(2);
    await harness.send('update', 'library/team', { service_account_names: [accounts[0]] });
    await harness.send('update', 'library/team/check-out');

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'library/team/check-in', { service_account_names: [accounts[0], accounts[1]] }),
      `invalid field "service_account_names": "${accounts[1]}" is not in library set "team"`,
    );
  });

  test('lease revoke checks the account in', async () => {
    const { harness, accounts, dns } = await setUp(1);
    await harness.send('update', 'library/team', { service_account_names: accounts });
    const first = await harness.send('update', 'library/team/check-out');
    const firstPassword = dataOf(first).password as string;

    await harness.send('revoke', 'library/team/check-out', {}, leaseOf(first));

    assert.equal(await binds(directory, dns[0], firstPassword), false);
    assert.deepEqual(dataOf(await harness.send('read', 'library/team/status')), { [accounts[0]]: { available: true } });
    // A lease revoked again after a later check-out leaves that check-out alone.
    const second = dataOf(await harness.send('update', 'library/team/check-out')).password as string;
    await harness.send('revoke', 'library/team/check-out', {}, leaseOf(first));
    assert.equal(await binds(directory, dns[0], second), true);
    await assertRejectedUnchanged(harness, () => harness.send('renew', 'library/team/check-out', {}, leaseOf(first)), 'the service account was checked in; check one out again');
  });

  test('renew is capped at max_ttl', async () => {
    const { harness, accounts } = await setUp(1);
    await harness.send('update', 'library/team', { service_account_names: accounts, ttl: 600, max_ttl: 1000 });
    const response = await harness.send('update', 'library/team/check-out');

    const renewed = await harness.send('renew', 'library/team/check-out', {}, leaseOf(response, { issuedSecondsAgo: 500 }));

    assert.equal(renewed!.secret!.ttl, 500);
  });

  test('delete waits for check-in', async () => {
    const { harness, accounts } = await setUp(1);
    await harness.send('update', 'library/team', { service_account_names: accounts });
    await harness.send('update', 'library/team/check-out');

    await assertRejectedUnchanged(
      harness,
      () => harness.send('delete', 'library/team'),
      `library set "team" has checked-out service accounts (${accounts[0]}); check them in first`,
    );
    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'library/team', { service_account_names: [] }),
      'missing required field "service_account_names"',
    );

    await harness.send('update', 'library/team/check-in');
    await harness.send('delete', 'library/team');
    assert.equal(await harness.send('read', 'library/team'), null);
    assert.deepEqual(await harness.snapshot().then((entries) => [...entries.keys()].filter((key) => key.includes('library'))), []);
  });

  test('checked-out account cannot be removed', async () => {
    const { harness, accounts } = await setUp(2);
    await harness.send('update', 'library/team', { service_account_names: accounts });
    await harness.send('update', 'library/team/check-out');

    await assertRejectedUnchanged(
      harness,
      () => harness.send('update', 'library/team', { service_account_names: [accounts[1]] }),
      `invalid field "service_account_names": "${accounts[0]}" is checked out and cannot be removed; check it in first`,
    );
  });

  test('unknown set', async () => {
    const { harness } = await setUp(0);

    await assertRejectedUnchanged(harness, () => harness.send('update', 'library/none/check-out'), 'unknown library set: none');
    await assertRejectedUnchanged(harness, () => harness.send('read', 'library/none/status'), 'unknown library set: none');
  });
});
