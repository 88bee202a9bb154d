/**
 * Applying parsed LDIF records to the directory, in order.
 */
import { describe, type Directory } from './directory.js';
import type { LdifRecord } from './ldif.js';

/** A record the directory rejected. */
export interface RecordFailure {
  record: LdifRecord;
  message: string;
}

/**
 * Applies `records` in order. Creation stops at the first failure. Deletion
 * and rollback go on to the next record, as Vault's engine does, and a
 * delete of an entry that is already gone counts as done.
 * @param secrets - Values to remove from the directory's error messages.
 * @returns The failures, empty when every record applied.
 */
export async function applyRecords(directory: Directory, records: LdifRecord[], mode: 'stop' | 'continue', secrets: string[]): Promise<RecordFailure[]> {
  const failures: RecordFailure[] = [];
  for (const record of records) {
    try {
      await applyRecord(directory, record);
    } catch (err) {
      failures.push({ record, message: describe(err, secrets) });
      if (mode === 'stop') break;
    }
  }
  return failures;
}

async function applyRecord(directory: Directory, record: LdifRecord): Promise<void> {
  switch (record.changetype) {
    case 'add':
      await directory.add(record.dn, record.attributes);
      return;
    case 'modify':
      await directory.modify(record.dn, record.changes.map((change) => ({ operation: change.operation, attribute: change.attribute, values: change.values })));
      return;
    case 'delete':
      await directory.delete(record.dn);
      return;
  }
}

/** Describes failures as one sentence per record, naming its changetype, DN and line. */
export function describeFailures(field: string, failures: RecordFailure[]): string {
  return failures.map(({ record, message }) => `${field} line ${record.line} (${record.changetype} "${record.dn}"): ${message}`).join('; ');
}
