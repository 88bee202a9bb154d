/** `users/:name`: create, update, read and delete a user. */
import { badRequest, definePath, nameSegment, notFound, type FieldMap, type PathDefinition } from '@coffer/sdk';
import { deleteUser, hashPassword, readUser, writeUser } from './users.js';

const userPath = definePath({
  pattern: `users/${nameSegment('name')}`,
  fields: {
    name: { type: 'string', description: 'Name of the user.', required: true },
    password: { type: 'string', description: 'Password of the user; required when the user is created.' },
    token_policies: { type: 'comma_string_slice', description: 'Policies of the tokens the user gets.' },
    token_ttl: { type: 'duration', description: 'TTL of the tokens the user gets; 0 takes the mount default.' },
    token_max_ttl: { type: 'duration', description: 'Maximum lifetime of the tokens the user gets, renewals included; 0 takes the mount maximum.' },
  },
  existenceCheck: async (request, fields) => (await readUser(request.storage, fields.get('name'))) !== null,
  operations: {
    async create(request, fields) {
      if (fields.get('password') === '') throw badRequest('missing required field "password" when a user is created');
      const ttl = fields.get('token_ttl');
      const maxTtl = fields.get('token_max_ttl');
      if (maxTtl > 0 && ttl > maxTtl) throw badRequest(`invalid field "token_ttl": ${ttl} is more than "token_max_ttl" ${maxTtl}`);
      const secret = await hashPassword(fields.get('password'));
      await writeUser(request.storage, fields.get('name'), { ...secret, policies: fields.get('token_policies'), ttl, maxTtl });
      return null;
    },
    async update(request, fields) {
      const name = fields.get('name');
      const user = await readUser(request.storage, name);
      if (user === null) throw notFound(`user "${name}" not found`);
      const secret = fields.has('password') ? await hashPassword(fields.get('password')) : { salt: user.salt, hash: user.hash };
      await writeUser(request.storage, name, {
        ...secret,
        policies: fields.has('token_policies') ? fields.get('token_policies') : user.policies,
        ttl: fields.has('token_ttl') ? fields.get('token_ttl') : user.ttl,
        maxTtl: fields.has('token_max_ttl') ? fields.get('token_max_ttl') : user.maxTtl,
      });
      return null;
    },
    async read(request, fields) {
      const user = await readUser(request.storage, fields.get('name'));
      if (user === null) throw notFound(`user "${fields.get('name')}" not found`);
      return { data: { token_policies: user.policies, token_ttl: user.ttl, token_max_ttl: user.maxTtl } };
    },
    async delete(request, fields) {
      await deleteUser(request.storage, fields.get('name'));
      return null;
    },
  },
  helpSynopsis: 'Manage one user.',
  helpDescription: 'Writes set the password and token settings; reads return the token settings, never the password.',
});

export const userPaths: PathDefinition<FieldMap>[] = [userPath];
