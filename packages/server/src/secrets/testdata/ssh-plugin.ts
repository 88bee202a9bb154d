/**
 * The built-in SSH engine served as an external plugin, so the identity
 * template tests run the same engine over the plugin wire.
 */
import { serve } from '@coffer/sdk';
import { plugin } from '@coffer/secrets-ssh';

await serve(plugin);
