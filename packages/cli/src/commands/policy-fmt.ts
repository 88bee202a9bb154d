// `coffer policy fmt`: rewrites a local HCL policy file in canonical form.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from '../command.js';
import { expectArguments } from '../command.js';
import { UsageError } from '../flags.js';
import { HclSyntaxError } from '../hcl/lexer.js';
import { formatHcl } from '../hcl/printer.js';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Formats policy text, naming the file in a syntax error. */
function formatPolicy(path: string, text: string): string {
  // Vault takes a policy whose first character is "{" as JSON.
  if (text.trimStart().startsWith('{')) {
    throw new UsageError(`Error formatting ${path}: the file contains JSON, but coffer policy fmt formats only HCL`);
  }
  try {
    return formatHcl(text);
  } catch (error) {
    if (error instanceof HclSyntaxError) {
      throw new UsageError(`Error parsing policy: ${path}:${error.line}:${error.column}: ${error.problem}`);
    }
    throw error;
  }
}

export const policyFmtCommand: Command = {
  name: 'policy fmt',
  synopsis: 'Formats a policy on disk',
  help: `
Usage: coffer policy fmt [options] PATH

  Formats the HCL policy file at PATH in place: two-space indentation, one
  item per line, aligned equals signs and spaced lists. Comments are kept.
  The command checks the HCL syntax only; the server checks the rules when
  the policy is written.

      $ coffer policy fmt my-policy.hcl`,
  flags: [],
  async run({ ui, args }) {
    expectArguments(args, 1);
    const path = args[0].trim();

    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(`Error reading source file "${path}": ${reasonOf(error)}`);
    }
    const formatted = formatPolicy(path, text);

    if (formatted !== text) {
      try {
        await writeFile(path, formatted);
      } catch (error) {
        throw new UsageError(`Error writing result to "${path}": ${reasonOf(error)}`);
      }
    }
    ui.output(`Success! Formatted policy: ${path}`);
    return 0;
  },
};
