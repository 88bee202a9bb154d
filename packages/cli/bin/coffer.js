#!/usr/bin/env node
import { main } from '../dist/index.js';

// A reader that stops early, such as `head`, closes the pipe under the
// output. That ends the output, as it ends Vault's CLI, so it is not an
// error worth a stack trace.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2));
