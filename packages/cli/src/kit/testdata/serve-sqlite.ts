/**
 * The built-in sqlite storage backend served as an external plugin, so the
 * storage suite can reach it over the wire as it reaches a vendor's plugin.
 */
import { serve } from '@coffer/sdk';
import { plugin } from '@coffer/storage-sqlite';

await serve(plugin);
