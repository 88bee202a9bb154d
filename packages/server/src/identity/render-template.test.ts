import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isCofferError } from '@coffer/sdk';
import { TEMPLATE_PARAMETERS } from '../policy/templates.js';
import { renderIdentityTemplate } from './render-template.js';
import { loginAuth, makeGroup, openStore, putGroups } from './test-support.js';

/** Opens a store with alice logged in through userpass, her entity named and given metadata. */
async function aliceStore() {
  const fixture = await openStore();
  const { store } = fixture;
  const { entityId } = await store.resolveLogin('auth_userpass_1', 'userpass', loginAuth('alice', { metadata: { region: 'eu' } }));
  await store.write(() => {
    const entity = store.records.entity(entityId)!;
    return { changes: { putEntities: [{ ...entity, name: 'alice-entity', metadata: { team: 'payments', empty: '', glob: 'a*', plus: 'a+b' } }] }, result: undefined };
  });
  await putGroups(store, makeGroup({ name: 'ops', memberEntityIds: [entityId], metadata: { zone: 'west' } }));
  return { store, entityId };
}

describe('renderIdentityTemplate', () => {
  test('renders entity, alias and group facts', async () => {
    const { store, entityId } = await aliceStore();
    const render = (template: string) => renderIdentityTemplate(store, template, entityId);

    assert.equal(await render('{{identity.entity.id}}'), entityId);
    assert.equal(await render('{{identity.entity.name}}.example.com'), 'alice-entity.example.com');
    assert.equal(await render('{{ identity.entity.metadata.team }}-{{identity.entity.aliases.auth_userpass_1.name}}'), 'payments-alice');
    assert.equal(await render('{{identity.entity.aliases.auth_userpass_1.metadata.region}}'), 'eu');
    assert.equal(await render('{{identity.groups.names.ops.metadata.zone}}'), 'west');
    assert.equal(await render('x{{identity.entity.metadata.empty}}y'), 'xy');
    assert.equal(await render('no-template.example.com'), 'no-template.example.com');
  });

  test('unresolvable parts render nothing', async () => {
    const { store, entityId } = await aliceStore();
    const render = (template: string, id = entityId) => renderIdentityTemplate(store, template, id);

    assert.equal(await render('{{identity.entity.metadata.missing}}'), undefined);
    assert.equal(await render('{{identity.entity.aliases.auth_ldap_1.name}}'), undefined);
    assert.equal(await render('{{identity.groups.names.dev.id}}'), undefined);
    assert.equal(await render('{{identity.entity.metadata.glob}}.example.com'), undefined);
    assert.equal(await render('{{identity.entity.metadata.plus}}'), undefined);
    assert.equal(await render('{{identity.entity.name}}', 'no-such-entity'), undefined);
    assert.equal(await render('{{identity.entity.name}}', ''), undefined);
  });

  test('disabled entity renders nothing', async () => {
    const { store, entityId } = await aliceStore();
    await store.write(() => ({ changes: { putEntities: [{ ...store.records.entity(entityId)!, disabled: true }] }, result: undefined }));

    assert.equal(await renderIdentityTemplate(store, '{{identity.entity.name}}', entityId), undefined);
  });

  test('malformed template is a 400', async () => {
    const { store, entityId } = await aliceStore();
    const cases: [string, string][] = [
      ['{{identity.entity.nmae}}', `invalid identity template "{{identity.entity.nmae}}": unknown template parameter "identity.entity.nmae"; use ${TEMPLATE_PARAMETERS}`],
      ['{{identity.entity.name}', 'invalid identity template "{{identity.entity.name}": unbalanced template: "{{" without a matching "}}"'],
      ['name}}', 'invalid identity template "name}}": unbalanced template: "}}" without a matching "{{"'],
    ];

    for (const [template, message] of cases) {
      for (const id of [entityId, '']) {
        await assert.rejects(renderIdentityTemplate(store, template, id), (err: unknown) => {
          assert.ok(isCofferError(err));
          assert.equal(err.status, 400);
          assert.equal(err.message, message);
          return true;
        });
      }
    }
  });
});
