/**
 * Certificate policies (RFC 5280 section 4.2.1.4) from a role's
 * policy_identifiers: plain OIDs, or Vault's JSON objects that add a CPS
 * URI and a user notice as policy qualifiers.
 */
import { derOid, derSequence, derTagged } from './der.js';
import { invalidField } from './errors.js';
import { checkOids } from './usages.js';
import { x509 } from './x509.js';

/** A policy with its optional qualifiers, in Vault's JSON field names. */
export interface PolicyIdentifier {
  oid: string;
  cps?: string;
  notice?: string;
}

const ID_QT_CPS = '1.3.6.1.5.5.7.2.1';
const ID_QT_UNOTICE = '1.3.6.1.5.5.7.2.2';

/** RFC 5280 limits DisplayText, the notice's explicitText, to 200 characters. */
const MAX_NOTICE_LENGTH = 200;

/**
 * Checks policy_identifiers and returns them in the form Vault stores: a
 * dotted OID for a policy without qualifiers, else a JSON object with
 * "oid" and the "cps" and "notice" it has. An entry that is a JSON list
 * (the form Terraform's policy_identifier blocks send) becomes one entry
 * per object.
 * @throws CofferError (400) naming `field` and the first invalid entry.
 */
export function parsePolicyIdentifiers(field: string, entries: string[]): string[] {
  const result: string[] = [];
  for (const entry of entries.map((value) => value.trim()).filter((value) => value !== '')) {
    if (!entry.startsWith('[') && !entry.startsWith('{')) {
      result.push(...checkOids(field, [entry]));
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(entry);
    } catch {
      throw invalidField(field, `${JSON.stringify(entry)} is not valid JSON: use a list of objects with "oid" and optional "cps" and "notice"`);
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) result.push(JSON.stringify(checkPolicyObject(field, item)));
  }

  // RFC 5280 section 4.2.1.4 allows each policy OID once per extension, and openssl's policy check rejects a repeat.
  const oids = result.map((entry) => storedPolicy(entry).oid);
  const repeated = oids.find((oid, index) => oids.indexOf(oid) !== index);
  if (repeated !== undefined) throw invalidField(field, `policy ${repeated} is listed more than once: list each OID once, with its cps and notice in one object`);
  return result;
}

function checkPolicyObject(field: string, item: unknown): PolicyIdentifier {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw invalidField(field, `expected an object with "oid" and optional "cps" and "notice", got ${JSON.stringify(item)}`);
  }
  const { oid, cps, notice, ...rest } = item as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalidField(field, `unknown key "${unknown[0]}" in a policy: use "oid", "cps" and "notice"`);
  if (typeof oid !== 'string') throw invalidField(field, `a policy needs "oid" as a string, got ${JSON.stringify(oid)}`);
  checkOids(field, [oid.trim()]);

  const policy: PolicyIdentifier = { oid: oid.trim() };
  if (cps !== undefined && cps !== '') {
    // The CPS pointer is an IA5String, so it may contain ASCII only.
    if (typeof cps !== 'string' || !URL.canParse(cps) || !/^[\x20-\x7e]+$/.test(cps)) {
      throw invalidField(field, `"cps" of policy ${policy.oid} must be an ASCII URI, got ${JSON.stringify(cps)}`);
    }
    policy.cps = cps;
  }
  if (notice !== undefined && notice !== '') {
    if (typeof notice !== 'string' || [...notice].length > MAX_NOTICE_LENGTH) {
      throw invalidField(field, `"notice" of policy ${policy.oid} must be a string of at most ${MAX_NOTICE_LENGTH} characters`);
    }
    policy.notice = notice;
  }
  return policy;
}

/** Reads a stored entry of {@link parsePolicyIdentifiers} back into a policy. */
function storedPolicy(entry: string): PolicyIdentifier {
  return entry.startsWith('{') ? (JSON.parse(entry) as PolicyIdentifier) : { oid: entry };
}

/**
 * Encodes the non-critical certificate policies extension of checked
 * policy_identifiers, with the CPS qualifier before the user notice, or
 * returns `undefined` when there are none.
 */
export function certificatePoliciesExtension(entries: string[]): x509.Extension | undefined {
  if (entries.length === 0) return undefined;
  const policies = entries.map(storedPolicy).map((policy) => {
    const qualifiers: Buffer[] = [];
    if (policy.cps !== undefined) qualifiers.push(derSequence(derOid(ID_QT_CPS), derTagged(0x16, Buffer.from(policy.cps, 'ascii'))));
    if (policy.notice !== undefined) {
      // UserNotice with explicitText only, as a UTF8String, which RFC 5280 recommends.
      qualifiers.push(derSequence(derOid(ID_QT_UNOTICE), derSequence(derTagged(0x0c, Buffer.from(policy.notice, 'utf8')))));
    }
    return qualifiers.length > 0 ? derSequence(derOid(policy.oid), derSequence(...qualifiers)) : derSequence(derOid(policy.oid));
  });
  return new x509.Extension('2.5.29.32', false, derSequence(...policies));
}
