/**
 * The executable Coffer starts: serves the auth method over the plugin
 * protocol until Coffer shuts it down. Run by hand, it explains that and exits with 1.
 */
import { serve } from '@coffer/sdk';
import { plugin } from './plugin.js';

await serve(plugin);
