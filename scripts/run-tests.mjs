// Runs every compiled test file (dist/**/*.test.js) of the workspaces with
// node's test runner. Pass file or folder names to narrow the run.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['packages', 'plugins', 'examples'];

function collect(path, files) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return;
  }
  if (stats.isFile()) {
    if (path.endsWith('.test.js')) files.push(path);
    return;
  }
  for (const name of readdirSync(path)) {
    if (name === 'node_modules') continue;
    collect(join(path, name), files);
  }
}

const files = [];
for (const root of roots) collect(resolve(root), files);
const tests = files.filter((file) => file.includes('/dist/') || !file.includes('/src/')).sort();
if (tests.length === 0) {
  console.error('no test files found; run "npm run build" first');
  process.exit(1);
}

const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...tests], { stdio: 'inherit' });
process.exit(result.status ?? 1);
