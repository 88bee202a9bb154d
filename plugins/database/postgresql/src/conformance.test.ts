import { runDatabaseConformance } from '@coffer/certify';
import { plugin } from './index.js';
import { CREATE, passwordMatches, ROOT_CONFIG, roleExists } from './test-support.js';

runDatabaseConformance({
  plugin,
  config: ROOT_CONFIG,
  creationStatements: CREATE,
  checkPassword: passwordMatches,
  userExists: roleExists,
  unreachableConfig: { connection_url: 'postgresql://{{username}}:{{password}}@127.0.0.1:1/test', username: 'root', password: 'conformance-secret' },
});
