/**
 * Runs the storage conformance suite that every Coffer storage backend
 * passes, against the built plugin. Coffer loads storage plugins
 * in-process, so no server is started here.
 */
import { runStorageConformance } from '@coffer/certify';

runStorageConformance({
  name: '__NAME__',
  module: new URL('./index.js', import.meta.url).href,
  settings: () => ({}),
  // The map lives in memory, so the persistence and crash cases are skipped with that reason.
  persistent: false,
});
