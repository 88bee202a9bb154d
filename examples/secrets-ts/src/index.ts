/**
 * The executable Coffer starts: serves the notes engine over the plugin
 * protocol until Coffer shuts it down. Run by hand, it explains that it is
 * a plugin and exits with status 1.
 */
import { serve } from '@coffer/sdk';
import { notesPlugin } from './plugin.js';

await serve(notesPlugin);
