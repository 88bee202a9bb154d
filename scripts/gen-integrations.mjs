// Writes docs/integrations.md from integrations/*/integration.hcl. Build
// first (npm run build); the catalog test fails while the page is stale.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadCatalog, renderCatalog } from '../packages/certify/dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const integrations = await loadCatalog(`${root}integrations`);
await writeFile(`${root}docs/integrations.md`, renderCatalog(integrations));
console.log(`wrote docs/integrations.md with ${integrations.length} integrations`);
