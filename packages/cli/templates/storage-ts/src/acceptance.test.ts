/**
 * Runs the storage conformance suite that every Coffer storage backend
 * passes, against the built plugin in this process. `coffer plugin
 * certify` runs the same suite over the wire, against dist/index.js
 * started as a plugin process.
 */
import { runStorageConformance } from '@coffer/certify';

runStorageConformance({
  name: '__NAME__',
  module: new URL('./plugin.js', import.meta.url).href,
  settings: () => ({}),
  // The map lives in memory, so the persistence and crash cases are skipped with that reason.
  persistent: false,
});
