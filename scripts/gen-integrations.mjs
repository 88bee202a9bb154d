// Writes docs/integrations.md from integrations/*/integration.hcl. Build
// first (npm run build); the catalog test fails while the page is stale.
// An optional argument names another checkout root, for tests.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntegrationError, loadCatalog, renderCatalog } from '../packages/certify/dist/index.js';

const root = process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url));
let integrations;
try {
  integrations = await loadCatalog(join(root, 'integrations'));
} catch (error) {
  if (!(error instanceof IntegrationError)) throw error;
  console.error(error.message);
  process.exit(1);
}
await writeFile(join(root, 'docs', 'integrations.md'), renderCatalog(integrations));
console.log(`wrote docs/integrations.md with ${integrations.length} integrations`);
