/**
 * Parsed and validated request fields for one path.
 */
import { badRequest } from '../errors.js';
import { convertField, zeroValue, type FieldMap, type FieldTypes, type FieldValues } from './field.js';

/** The fields of a request, typed by the path's declaration. */
export class FieldData<F extends FieldMap> {
  private constructor(
    private readonly schema: F,
    private readonly values: Partial<FieldValues<F>>,
    /** The request's raw fields, for paths that take arbitrary input. */
    readonly raw: Record<string, unknown>,
  ) {}

  /**
   * Validates `raw` against `schema`. Unknown fields are rejected unless the
   * path takes arbitrary input, and each ill-typed field is named in the error.
   *
   * @throws CofferError (400) naming every invalid field.
   */
  static parse<F extends FieldMap>(schema: F, raw: Record<string, unknown>, allowUnknown: boolean): FieldData<F> {
    const values: Partial<Record<string, unknown>> = {};
    const problems: string[] = [];

    for (const [name, rawValue] of Object.entries(raw)) {
      // Own properties only, so a field named like an Object member (constructor, __proto__) is unknown, not a crash.
      const field = Object.hasOwn(schema, name) ? schema[name] : undefined;
      if (field === undefined) {
        if (!allowUnknown) problems.push(`unknown field "${name}"`);
        continue;
      }
      if (rawValue === null || rawValue === undefined) continue;

      const converted = convertField(field.type, rawValue, field.tooLong);
      if ('error' in converted) {
        problems.push(`invalid field "${name}": ${converted.error}`);
        continue;
      }
      if (field.allowedValues !== undefined && !field.allowedValues.includes(converted.value as never)) {
        problems.push(`invalid field "${name}": must be one of ${field.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`);
        continue;
      }
      values[name] = converted.value;
    }

    for (const name of requiredFields(schema)) {
      if (values[name] === undefined) problems.push(`missing required field "${name}"`);
    }

    if (problems.length > 0) throw badRequest(problems.join('; '));
    return new FieldData(schema, values as Partial<FieldValues<F>>, raw);
  }

  /** Returns the field's value, its default, or its type's zero value. */
  get<K extends keyof F & string>(name: K): FieldTypes[F[K]['type']] {
    const value = this.values[name];
    if (value !== undefined) return value as FieldTypes[F[K]['type']];
    const field = this.schema[name];
    if (field.default !== undefined) return copyDefault(field.default) as FieldTypes[F[K]['type']];
    return zeroValue(field.type) as FieldTypes[F[K]['type']];
  }

  /** Returns the value only if the request set the field, else `undefined`. */
  getIfSet<K extends keyof F & string>(name: K): FieldTypes[F[K]['type']] | undefined {
    return this.values[name] as FieldTypes[F[K]['type']] | undefined;
  }

  /** Returns true when the request set the field. */
  has(name: keyof F & string): boolean {
    return this.values[name] !== undefined;
  }
}

/** Names of each schema's required fields in declaration order, built once per schema. */
const requiredFieldsBySchema = new WeakMap<FieldMap, readonly string[]>();

function requiredFields(schema: FieldMap): readonly string[] {
  let names = requiredFieldsBySchema.get(schema);
  if (names === undefined) {
    names = Object.keys(schema).filter((name) => schema[name].required === true);
    requiredFieldsBySchema.set(schema, names);
  }
  return names;
}

/** Copies an object default, so a handler that changes it cannot change the declaration. Primitives need no copy. */
function copyDefault(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? structuredClone(value) : value;
}
