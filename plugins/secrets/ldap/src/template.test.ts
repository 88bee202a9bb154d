import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderLdifTemplate, TemplateError, templateValues } from './template.js';

const VALUES = templateValues({ username: 'v_token_dev', password: 'Pass-1', displayName: 'token', roleName: 'dev' }, new Date('2026-01-02T03:04:05.678Z'), 3600);

describe('renderLdifTemplate', () => {
  test('every field', () => {
    const rendered = renderLdifTemplate(
      '{{.Username}} {{ .Password }} {{.DisplayName}} {{.RoleName}} {{.IssueTime}} {{.IssueTimeSeconds}} {{.ExpirationTime}} {{.ExpirationTimeSeconds}}',
      VALUES,
    );

    assert.equal(rendered, 'v_token_dev Pass-1 token dev 2026-01-02T03:04:05Z 1767323045 2026-01-02T04:04:05Z 1767326645');
  });

  test('unknown field and function rejected', () => {
    assert.throws(() => renderLdifTemplate('a\ncn: {{.Name}}', VALUES), (err: unknown) => err instanceof TemplateError && err.message.startsWith('unsupported action "{{.Name}}" at line 2; use one of {{.Username}}'));
    assert.throws(() => renderLdifTemplate('{{.Password | base64}}', VALUES), (err: unknown) => err instanceof TemplateError && err.message.startsWith('unsupported action "{{.Password | base64}}" at line 1'));
    assert.throws(() => renderLdifTemplate('cn: {{.Username', VALUES), (err: unknown) => err instanceof TemplateError && err.message === 'unclosed action at line 1');
  });

  test('value with a line break rejected', () => {
    const values = { ...VALUES, DisplayName: 'a\nchangetype: delete' };

    assert.throws(() => renderLdifTemplate('description: {{.DisplayName}}', values), (err: unknown) => err instanceof TemplateError && err.message === 'the value of .DisplayName contains a line break');
  });
});
