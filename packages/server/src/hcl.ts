/**
 * HCL parsing through @cdktf/hcl2json (HashiCorp's parser compiled to
 * WebAssembly), loaded once on first use, for the documents users write in
 * HCL: ACL policies and password policies.
 */

/**
 * The part of @cdktf/hcl2json used here. Its typings reference the DOM
 * library, so the module is imported by a name TypeScript does not resolve,
 * as the config loader does.
 */
interface Hcl2Json {
  parse(fileName: string, contents: string): Promise<unknown>;
}
const HCL2JSON_MODULE: string = '@cdktf/hcl2json';
let hcl2json: Promise<Hcl2Json> | undefined;

/** A syntax error hcl2json reported, with its position when the message gives one. */
export interface HclSyntaxError {
  detail: string;
  line?: number;
  column?: number;
}

/** Parses `text` as HCL into the JSON shape hcl2json gives, or returns the syntax error. */
export async function parseHclDocument(fileName: string, text: string): Promise<{ document: unknown } | { error: HclSyntaxError }> {
  hcl2json ??= import(HCL2JSON_MODULE).then((module: { default: Hcl2Json }) => module.default);
  const parser = await hcl2json;
  try {
    return { document: await parser.parse(fileName, text) };
  } catch (error) {
    return { error: hclSyntaxError(fileName, error instanceof Error ? error.message : String(error)) };
  }
}

/** Splits hcl2json's `parse config: [FILE:LINE,COL-ENDCOL: Summary; Detail]` into its position and detail. */
function hclSyntaxError(fileName: string, message: string): HclSyntaxError {
  const inner = message.replace(/^parse config: \[/, '').replace(/\]$/, '');
  const prefix = `${fileName}:`;
  const match = inner.startsWith(prefix) ? /^(\d+),(\d+)(?:-\d+(?:,\d+)?)?: /.exec(inner.slice(prefix.length)) : null;
  if (match === null) return { detail: inner };
  return { detail: inner.slice(prefix.length + match[0].length), line: Number(match[1]), column: Number(match[2]) };
}
