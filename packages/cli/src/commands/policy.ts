// `coffer policy read`, `write`, `list` and `delete`: ACL policies through
// sys/policies/acl.
import { readFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { expectArguments, formatFlag, httpFlags, reportApiError } from '../command.js';
import { UsageError, readAllText } from '../flags.js';
import { structuredText } from '../output.js';
import type { Secret } from '../secret.js';

/** Normalizes a policy name as Vault's CLI does: trimmed and lower-case. */
function policyName(argument: string): string {
  const name = argument.trim().toLowerCase();
  if (name === '') throw new UsageError('invalid policy name "": pass the name of the policy, such as my-policy');
  return name;
}

export const policyReadCommand: Command = {
  name: 'policy read',
  synopsis: 'Prints the contents of a policy',
  help: `
Usage: coffer policy read [options] NAME

  Prints the rules of the ACL policy NAME. The command fails when there is no
  policy of that name.

      $ coffer policy read my-policy`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const name = policyName(args[0]);

    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.read(`sys/policies/acl/${name}`);
    } catch (error) {
      return reportApiError(ui, `Error reading policy named ${name}`, error);
    }
    const rules = secret?.data?.policy;
    if (typeof rules !== 'string' || rules === '') {
      ui.error(`No policy named: ${name}`);
      return 2;
    }

    if (ui.format !== 'table') ui.output(structuredText(ui, { policy: rules }));
    else ui.output(rules.trim());
    return 0;
  },
};

export const policyWriteCommand: Command = {
  name: 'policy write',
  synopsis: 'Uploads a named policy from a file',
  help: `
Usage: coffer policy write [options] NAME PATH

  Uploads the ACL policy NAME from the HCL or JSON file at PATH, replacing any
  policy of that name. A PATH of "-" reads the policy from stdin. The server
  checks the whole policy and stores nothing when any part is invalid.

      $ coffer policy write my-policy /tmp/policy.hcl
      $ cat my-policy.hcl | coffer policy write my-policy -`,
  flags: [...httpFlags],
  async run({ ui, io, args, client }) {
    expectArguments(args, 2);
    const name = policyName(args[0]);
    const path = args[1].trim();

    let rules: string;
    try {
      rules = path === '-' ? await readAllText(io.stdin) : await readFile(path, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UsageError(`Error opening policy file "${path}": ${reason}`);
    }

    const api = await client();
    try {
      await api.write(`sys/policies/acl/${name}`, { policy: rules });
    } catch (error) {
      return reportApiError(ui, 'Error uploading policy', error);
    }
    ui.output(`Success! Uploaded policy: ${name}`);
    return 0;
  },
};

export const policyListCommand: Command = {
  name: 'policy list',
  synopsis: 'Lists the installed policies',
  help: `
Usage: coffer policy list [options]

  Lists the names of the ACL policies on the server, one a line.

      $ coffer policy list`,
  flags: [...httpFlags, formatFlag],
  async run({ ui, args, client }) {
    expectArguments(args, 0);

    const api = await client();
    let secret: Secret | null;
    try {
      secret = await api.list('sys/policies/acl');
    } catch (error) {
      return reportApiError(ui, 'Error listing policies', error);
    }
    const keys = secret?.data?.keys;
    const names = Array.isArray(keys) ? keys.map(String) : [];

    if (ui.format !== 'table') ui.output(structuredText(ui, names));
    else for (const name of names) ui.output(name);
    return 0;
  },
};

export const policyDeleteCommand: Command = {
  name: 'policy delete',
  synopsis: 'Deletes a policy by name',
  help: `
Usage: coffer policy delete [options] NAME

  Deletes the ACL policy NAME. Tokens that carry the policy lose its
  permissions at once. Deleting a policy that does not exist succeeds.

      $ coffer policy delete my-policy`,
  flags: [...httpFlags],
  async run({ ui, args, client }) {
    expectArguments(args, 1);
    const name = policyName(args[0]);

    const api = await client();
    try {
      await api.delete(`sys/policies/acl/${name}`);
    } catch (error) {
      return reportApiError(ui, `Error deleting ${name}`, error);
    }
    ui.output(`Success! Deleted policy: ${name}`);
    return 0;
  },
};
