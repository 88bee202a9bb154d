import { runDatabaseConformance } from '@coffer/certify';
import mysql from 'mysql2/promise';
import { plugin } from './index.js';

const SERVER = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };

async function checkPassword(user: string, password: string): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({ ...SERVER, database: undefined, user, password });
    await connection.end();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ER_ACCESS_DENIED_ERROR') return false;
    throw err;
  }
}

async function userExists(user: string): Promise<boolean> {
  const connection = await mysql.createConnection(SERVER);
  try {
    const [rows] = await connection.query('SELECT 1 FROM mysql.user WHERE User = ?', [user]);
    return (rows as unknown[]).length > 0;
  } finally {
    await connection.end();
  }
}

runDatabaseConformance({
  plugin,
  config: { connection_url: 'mysql://{{username}}:{{password}}@127.0.0.1:3306/test', username: 'root', password: '' },
  creationStatements: [`CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';`],
  checkPassword,
  userExists,
  unreachableConfig: { connection_url: 'mysql://{{username}}:{{password}}@127.0.0.1:1/test', username: 'root', password: 'conformance-secret' },
});
