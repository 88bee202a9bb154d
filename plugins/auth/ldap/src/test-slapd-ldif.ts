/**
 * The LDIF that builds the test slapd: its cn=config and the seeded
 * directory that `DIRECTORY` in test-slapd.ts describes.
 */
import { join } from 'node:path';

/** `{SSHA}` hashes made by slappasswd. */
export interface SeedPasswords {
  root: string;
  reader: string;
  manager: string;
  alice: string;
  bob: string;
  carol: string;
}

/**
 * cn=config for one mdb database under dc=example,dc=com.
 *
 * The dynlist overlay computes `memberOf` on each entry at search time,
 * following static groupOfNames groups recursively (the trailing `*` in
 * the attribute set, slapo-dynlist(5) of OpenLDAP 2.5), so a user in a
 * nested group carries the outer groups too.
 *
 * With `olcTLSVerifyClient: try`, slapd requests a client certificate,
 * accepts a connection without one, and ends the handshake when the one it
 * gets is not signed by the test CA.
 *
 * OpenLDAP has no userPrincipalName attribute, so a two-line schema adds
 * it (with Active Directory's OID) and an auxiliary class to hold it. The
 * class takes an OID under OpenLDAP's experimental arc, 1.3.6.1.4.1.4203.666.
 *
 * Service accounts named `cn=manager*` under ou=services may write every
 * entry and password, as the bind account of the LDAP secrets engine must.
 */
export function configLdif(options: { folder: string; dataDir: string; schemaDir: string; rootPasswordHash: string }): string {
  const { folder, dataDir, schemaDir, rootPasswordHash } = options;
  return `dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: ${join(folder, 'slapd.pid')}
olcArgsFile: ${join(folder, 'slapd.args')}
olcTLSCACertificateFile: ${join(folder, 'ca.pem')}
olcTLSCertificateFile: ${join(folder, 'server.pem')}
olcTLSCertificateKeyFile: ${join(folder, 'server.key')}
olcTLSVerifyClient: try

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: dynlist

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://${join(schemaDir, 'core.ldif')}

include: file://${join(schemaDir, 'cosine.ldif')}

include: file://${join(schemaDir, 'nis.ldif')}

include: file://${join(schemaDir, 'inetorgperson.ldif')}

include: file://${join(schemaDir, 'dyngroup.ldif')}

dn: cn=upn,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: upn
olcAttributeTypes: ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcObjectClasses: ( 1.3.6.1.4.1.4203.666.11.1701.1 NAME 'cofferTestPrincipal' AUXILIARY MAY userPrincipalName )

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: dc=example,dc=com
olcRootDN: cn=admin,dc=example,dc=com
olcRootPW: ${rootPasswordHash}
olcDbDirectory: ${dataDir}
olcDbMaxSize: 16777216
olcAccess: {0}to attrs=userPassword by dn.regex="^cn=manager[^,]*,ou=services,dc=example,dc=com$" write by self write by anonymous auth by * none
olcAccess: {1}to * by dn.regex="^cn=manager[^,]*,ou=services,dc=example,dc=com$" write by * read

dn: olcOverlay={0}dynlist,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcDynListConfig
olcOverlay: {0}dynlist
olcDynListAttrSet: {0}groupOfURLs memberURL member+memberOf@groupOfNames*
`;
}

/** Returns the seeded entries: three users, two service accounts and four groups. */
export function directoryLdif(passwords: SeedPasswords): string {
  return `dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: ou=services,dc=example,dc=com
objectClass: organizationalUnit
ou: services

dn: cn=reader,ou=services,dc=example,dc=com
objectClass: person
cn: reader
sn: Reader
userPassword: ${passwords.reader}

dn: cn=manager,ou=services,dc=example,dc=com
objectClass: person
cn: manager
sn: Manager
userPassword: ${passwords.manager}

${person('alice', 'Alice', 'staff', passwords.alice)}
${person('bob', 'Bob', 'contractor', passwords.bob)}
${person('carol', 'Carol', 'staff', passwords.carol)}
${group('admins', ['cn=alice,ou=people,dc=example,dc=com'])}
${group('developers', ['cn=carol,ou=people,dc=example,dc=com', 'cn=bob,ou=people,dc=example,dc=com'])}
${group('engineering', ['cn=developers,ou=groups,dc=example,dc=com'])}
${group('staff', ['cn=engineering,ou=groups,dc=example,dc=com'])}`;
}

function person(name: string, surname: string, employeeType: string, passwordHash: string): string {
  return `dn: cn=${name},ou=people,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: cofferTestPrincipal
cn: ${name}
uid: ${name}
sn: ${surname}
employeeType: ${employeeType}
userPrincipalName: ${name}@example.com
userPassword: ${passwordHash}
`;
}

function group(name: string, members: string[]): string {
  return `dn: cn=${name},ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: ${name}
${members.map((member) => `member: ${member}`).join('\n')}
`;
}
