/**
 * Reads stanzas out of the shapes hcl2json and hand-written JSON give them.
 *
 * hcl2json turns `listener "tcp" { ... }` into `{"listener": {"tcp": [{...}]}}`
 * and an unlabelled `telemetry { ... }` into `{"telemetry": [{...}]}`. Vault's
 * JSON configs write the same stanzas as `{"listener": {"tcp": {...}}}` or
 * `{"listener": [{"tcp": {...}}, {"tcp": {...}}]}`. All of these are accepted.
 */
import type { Scope } from './scope.js';
import { describeValue, isPlainObject } from './values.js';

export interface LabeledBlock {
  /** The label as written, e.g. `tcp` or `TCP`. */
  label: string;
  body: Record<string, unknown>;
  /** Index among the blocks with this label, from 0, used to find the block in the text. */
  occurrence: number;
}

/**
 * Lists the blocks of a labelled stanza such as `listener` or `storage`, in
 * file order for blocks with the same label. Returns at least one block.
 * NOTE: hcl2json groups blocks by label, so blocks with different labels
 * (a `seal "transit"` before a `seal "pkcs11"`) lose their relative order.
 */
export function readLabeledBlocks(scope: Scope, stanza: string, value: unknown): LabeledBlock[] {
  const groups = Array.isArray(value) ? value : [value];
  const blocks: LabeledBlock[] = [];
  const counts = new Map<string, number>();

  for (const group of groups) {
    if (!isPlainObject(group)) throw notAStanza(scope, stanza, group);
    for (const [label, inner] of Object.entries(group)) {
      for (const body of blockBodies(inner)) {
        if (body === undefined) throw missingLabel(scope, stanza);
        const occurrence = counts.get(label) ?? 0;
        counts.set(label, occurrence + 1);
        blocks.push({ label, body, occurrence });
      }
    }
  }
  if (blocks.length === 0) throw missingLabel(scope, stanza);
  return blocks;
}

/**
 * Reads the body of an unlabelled stanza such as `telemetry`. Returns the
 * bodies in file order, and callers decide whether more than one is allowed.
 */
export function readUnlabeledBlocks(scope: Scope, stanza: string, value: unknown): Array<Record<string, unknown>> {
  const bodies = Array.isArray(value) ? value : [value];
  return bodies.map((body) => {
    if (!isPlainObject(body)) throw notAStanza(scope, stanza, body);
    return body;
  });
}

/** Returns the bodies under one label, or `undefined` entries where the value is not a block. */
function blockBodies(inner: unknown): Array<Record<string, unknown> | undefined> {
  if (isPlainObject(inner)) return [inner];
  if (Array.isArray(inner) && inner.length > 0) {
    return inner.map((body) => (isPlainObject(body) ? body : undefined));
  }
  return [undefined];
}

function notAStanza(scope: Scope, stanza: string, value: unknown): Error {
  return scope.fail(stanza, `invalid "${stanza}": expected a stanza such as ${example(stanza)}, got ${describeValue(value)}`);
}

function missingLabel(scope: Scope, stanza: string): Error {
  return scope.fail(stanza, `the ${stanza} stanza needs a type label, as in ${example(stanza)}`);
}

function example(stanza: string): string {
  const labels: Record<string, string> = { listener: 'tcp', storage: 'sqlite', backend: 'sqlite', seal: 'shamir' };
  const label = labels[stanza];
  return label === undefined ? `${stanza} { ... }` : `${stanza} "${label}" { ... }`;
}
