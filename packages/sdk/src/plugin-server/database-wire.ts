/**
 * Conversions between the SDK's database plugin types and the messages of
 * `coffer.database.v1.Database`, shared by the plugin side (`serve`) and the
 * host side in the server.
 */
import type { NewUserRequest, Statements, UpdateUserRequest } from '../database.js';
import type { WireTimestamp } from './messages.js';
import { parseJsonObject } from './wire.js';

/** `Statements` as decoded from the wire. */
export interface WireStatements {
  commands?: string[];
}

/** `NewUserRequest` as decoded from the wire. */
export interface WireNewUserRequest {
  username_config?: { display_name?: string; role_name?: string } | null;
  password?: string;
  expiration?: WireTimestamp | null;
  statements?: WireStatements | null;
  rollback_statements?: WireStatements | null;
}

/** `UpdateUserRequest` as decoded from the wire; an unset change is `null`. */
export interface WireUpdateUserRequest {
  username?: string;
  password?: { new_password?: string; statements?: WireStatements | null } | null;
  expiration?: { new_expiration?: WireTimestamp | null; statements?: WireStatements | null } | null;
}

/** `DeleteUserRequest` as decoded from the wire. */
export interface WireDeleteUserRequest {
  username?: string;
  statements?: WireStatements | null;
}

function timestampToWire(time: Date): WireTimestamp {
  const milliseconds = time.getTime();
  const seconds = Math.floor(milliseconds / 1000);
  return { seconds, nanos: (milliseconds - seconds * 1000) * 1_000_000 };
}

function timestampFromWire(wire: WireTimestamp | null | undefined): Date {
  return new Date((wire?.seconds ?? 0) * 1000 + Math.floor((wire?.nanos ?? 0) / 1_000_000));
}

function statementsFromWire(wire: WireStatements | null | undefined): Statements {
  return { commands: wire?.commands ?? [] };
}

/** Builds the wire form of a NewUser request (host side). */
export function newUserToWire(request: NewUserRequest): WireNewUserRequest {
  return {
    username_config: { display_name: request.usernameConfig.displayName, role_name: request.usernameConfig.roleName },
    password: request.password,
    expiration: timestampToWire(request.expiration),
    statements: request.statements,
    rollback_statements: request.rollbackStatements,
  };
}

/** Builds the SDK request from a decoded NewUser request (plugin side); missing fields become empty. */
export function newUserFromWire(wire: WireNewUserRequest): NewUserRequest {
  return {
    usernameConfig: { displayName: wire.username_config?.display_name ?? '', roleName: wire.username_config?.role_name ?? '' },
    password: wire.password ?? '',
    expiration: timestampFromWire(wire.expiration),
    statements: statementsFromWire(wire.statements),
    rollbackStatements: statementsFromWire(wire.rollback_statements),
  };
}

/** Builds the wire form of an UpdateUser request (host side). */
export function updateUserToWire(request: UpdateUserRequest): WireUpdateUserRequest {
  return {
    username: request.username,
    password: request.password === undefined ? null : { new_password: request.password.newPassword, statements: request.password.statements },
    expiration:
      request.expiration === undefined
        ? null
        : { new_expiration: timestampToWire(request.expiration.newExpiration), statements: request.expiration.statements },
  };
}

/** Builds the SDK request from a decoded UpdateUser request (plugin side). */
export function updateUserFromWire(wire: WireUpdateUserRequest): UpdateUserRequest {
  const request: UpdateUserRequest = { username: wire.username ?? '' };
  if (wire.password !== null && wire.password !== undefined) {
    request.password = { newPassword: wire.password.new_password ?? '', statements: statementsFromWire(wire.password.statements) };
  }
  if (wire.expiration !== null && wire.expiration !== undefined) {
    request.expiration = { newExpiration: timestampFromWire(wire.expiration.new_expiration), statements: statementsFromWire(wire.expiration.statements) };
  }
  return request;
}

/** Builds the SDK request from a decoded DeleteUser request (plugin side). */
export function deleteUserFromWire(wire: WireDeleteUserRequest): { username: string; statements: Statements } {
  return { username: wire.username ?? '', statements: statementsFromWire(wire.statements) };
}

/** Parses a `config_json` field. @throws Error naming the field when it is not a JSON object. */
export function configFromWire(json: string | undefined): Record<string, unknown> {
  return parseJsonObject(json, 'config_json');
}
