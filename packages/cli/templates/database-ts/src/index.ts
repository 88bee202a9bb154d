/**
 * The plugin's executable entry: Coffer starts it from the plugin catalog,
 * and `serve()` speaks the plugin protocol on stdout and a Unix socket.
 */
import { serve } from '@coffer/sdk';
import { plugin } from './plugin.js';

await serve(plugin);
