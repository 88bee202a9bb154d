/**
 * Test stand-ins for `@coffer/secrets-aws`; only tests import this module
 * (as `@coffer/secrets-aws/testing`).
 */
export { ACCOUNT_ID, startAwsDouble, type AwsDouble, type IamGroup, type IamRole, type IamUser, type SessionCredentials } from './aws-double.js';
