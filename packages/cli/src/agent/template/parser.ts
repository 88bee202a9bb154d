// Parses template tokens into a tree: text, actions, and the if, with and
// range blocks with their else branches. Anything outside the supported
// subset is rejected here, at load, with its line.
import type { Delimiters, Token } from './lexer.js';
import { TemplateError, tokenizeTemplate } from './lexer.js';

/** An operand of a command. */
export type Operand =
  | { kind: 'dot' }
  | { kind: 'field'; names: string[] }
  | { kind: 'variable'; name: string; fields: string[] }
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' }
  | { kind: 'function'; name: string }
  | { kind: 'pipeline'; pipeline: Pipeline; fields: string[] };

/** One command of a pipeline: a function call with arguments, or a single value. */
export interface CommandNode {
  operands: Operand[];
}

/** `$x := cmd | cmd ...`. The variables are declared (`:=`) or assigned (`=`). */
export interface Pipeline {
  variables: string[];
  assign: boolean;
  commands: CommandNode[];
  line: number;
}

export type TemplateNode =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipeline: Pipeline }
  | { kind: 'if' | 'with' | 'range'; pipeline: Pipeline; body: TemplateNode[]; otherwise: TemplateNode[] };

const unsupportedKeywords = new Set(['define', 'template', 'block', 'break', 'continue']);

/**
 * Maximum nesting of blocks and parenthesized pipelines. The parser and the
 * executor recurse once per level, so a deeper template would overflow the
 * stack. Go's text/template allows 10000 parentheses, or 1000 on wasm
 * (maxStackDepth in text/template/parse).
 */
const maxNestingDepth = 1000;

/**
 * Parses a template. `functions` names the functions a template may call.
 *
 * @throws TemplateError with the line of the first problem.
 */
export function parseTemplate(name: string, source: string, functions: ReadonlySet<string>, delimiters?: Delimiters): TemplateNode[] {
  const parser = new Parser(name, tokenizeTemplate(name, source, delimiters), functions);
  return parser.file();
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly name: string,
    private readonly tokens: Token[],
    private readonly functions: ReadonlySet<string>,
  ) {}

  file(): TemplateNode[] {
    const { nodes, stop } = this.list();
    if (stop !== undefined) throw this.error(stop.token, `unexpected {{${stop.keyword}}}: there is no open if, with or range block`);
    return nodes;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  private next(): Token {
    const token = this.tokens[this.index];
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private error(token: Token, problem: string): TemplateError {
    return new TemplateError(this.name, token.line, problem);
  }

  private expect(kind: Token['kind'], expected: string): Token {
    const token = this.next();
    if (token.kind !== kind) throw this.error(token, `expected ${expected}, found ${describe(token)}`);
    return token;
  }

  /** Parses nodes until the end of input or an {{else}} or {{end}}, which is returned unconsumed past its keyword. */
  private list(): { nodes: TemplateNode[]; stop?: { keyword: 'else' | 'end'; token: Token } } {
    const nodes: TemplateNode[] = [];
    for (;;) {
      const token = this.next();
      if (token.kind === 'end') return { nodes };
      if (token.kind === 'text') {
        nodes.push({ kind: 'text', text: token.value });
        continue;
      }
      // An action: {{ ... }}.
      const first = this.peek();
      if (first.kind === 'identifier' && (first.value === 'end' || first.value === 'else')) {
        this.next();
        return { nodes, stop: { keyword: first.value, token: first } };
      }
      if (first.kind === 'identifier' && (first.value === 'if' || first.value === 'with' || first.value === 'range')) {
        this.next();
        nodes.push(this.block(first.value, first));
        continue;
      }
      if (first.kind === 'identifier' && unsupportedKeywords.has(first.value)) {
        throw this.error(first, `{{${first.value}}} is not supported by coffer agent templates`);
      }
      nodes.push({ kind: 'action', pipeline: this.pipeline(first.line, true) });
      this.expect('close', '"}}"');
    }
  }

  /** Parses the rest of `{{if pipeline}} ... {{else}} ... {{end}}`, and likewise with and range. */
  private block(keyword: 'if' | 'with' | 'range', opener: Token): TemplateNode {
    this.enter(opener);
    try {
      return this.blockBody(keyword, opener);
    } finally {
      this.depth -= 1;
    }
  }

  private enter(token: Token): void {
    this.depth += 1;
    if (this.depth > maxNestingDepth) throw this.error(token, `max nesting depth of ${maxNestingDepth} blocks and parentheses exceeded`);
  }

  private blockBody(keyword: 'if' | 'with' | 'range', opener: Token): TemplateNode {
    const pipeline = this.pipeline(opener.line, keyword !== 'if');
    if (keyword === 'range' && pipeline.variables.length > 2) throw this.error(opener, 'range declares at most two variables: {{range $key, $value := ...}}');
    if (keyword !== 'range' && pipeline.variables.length > 1) throw this.error(opener, `${keyword} declares at most one variable`);
    this.expect('close', '"}}"');

    const body = this.list();
    if (body.stop === undefined) throw this.error(opener, `unclosed {{${keyword}}}: add {{end}}`);
    let otherwise: TemplateNode[] = [];
    if (body.stop.keyword === 'else') {
      const next = this.peek();
      if (next.kind === 'identifier' && (next.value === 'if' || next.value === 'with') && keyword !== 'range') {
        // {{else if x}} is {{else}}{{if x}}...{{end}} sharing the outer {{end}}.
        this.next();
        otherwise = [this.block(next.value, next)];
        return { kind: keyword, pipeline, body: body.nodes, otherwise };
      }
      this.expect('close', '"}}" after else');
      const rest = this.list();
      if (rest.stop?.keyword !== 'end') throw this.error(opener, `unclosed {{${keyword}}}: add {{end}} after its {{else}}`);
      otherwise = rest.nodes;
    }
    // list() consumed the {{end}} keyword; its closing braces remain.
    this.expect('close', '"}}" after end');
    return { kind: keyword, pipeline, body: body.nodes, otherwise };
  }

  /** Parses `[$a[, $b] :=|=] command [| command ...]` up to the closing braces or parenthesis. */
  private pipeline(line: number, declarationsAllowed: boolean): Pipeline {
    const pipeline: Pipeline = { variables: [], assign: false, commands: [], line };
    if (this.peek().kind === 'variable') {
      const variables: string[] = [this.peek().value];
      let offset = 1;
      while (this.peek(offset).kind === 'comma' && this.peek(offset + 1).kind === 'variable') {
        variables.push(this.peek(offset + 1).value);
        offset += 2;
      }
      const operator = this.peek(offset);
      if (operator.kind === 'declare' || operator.kind === 'assign') {
        if (!declarationsAllowed && variables.length > 1) throw this.error(operator, 'only range declares two variables');
        this.index += offset + 1;
        pipeline.variables = variables;
        pipeline.assign = operator.kind === 'assign';
      }
    }

    for (;;) {
      pipeline.commands.push(this.command());
      const token = this.peek();
      if (token.kind !== 'pipe') break;
      this.next();
    }
    return pipeline;
  }

  private command(): CommandNode {
    const operands: Operand[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind === 'close' || token.kind === 'rparen' || token.kind === 'pipe' || token.kind === 'end') break;
      operands.push(this.operand());
    }
    if (operands.length === 0) throw this.error(this.peek(), `missing value in action, before ${describe(this.peek())}`);
    return { operands };
  }

  private operand(): Operand {
    const token = this.next();
    switch (token.kind) {
      case 'dot':
        return { kind: 'dot' };
      case 'field':
        return { kind: 'field', names: token.fields ?? [] };
      case 'variable':
        return { kind: 'variable', name: token.value, fields: token.fields ?? [] };
      case 'string':
        return { kind: 'string', value: token.value };
      case 'number': {
        const value = Number(token.value);
        if (!Number.isFinite(value)) throw this.error(token, `invalid number ${token.value}`);
        return { kind: 'number', value };
      }
      case 'lparen': {
        this.enter(token);
        try {
          const pipeline = this.pipeline(token.line, false);
          const close = this.expect('rparen', '")"');
          return { kind: 'pipeline', pipeline, fields: close.fields ?? [] };
        } finally {
          this.depth -= 1;
        }
      }
      case 'identifier':
        if (token.value === 'true' || token.value === 'false') return { kind: 'bool', value: token.value === 'true' };
        if (token.value === 'nil') return { kind: 'nil' };
        if (!this.functions.has(token.value)) {
          throw this.error(token, `function "${token.value}" is not supported by coffer agent templates; the supported functions are ${[...this.functions].sort().join(', ')}`);
        }
        return { kind: 'function', name: token.value };
      default:
        throw this.error(token, `unexpected ${describe(token)} in action`);
    }
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the template';
    case 'close':
      return '"}}"';
    case 'text':
      return 'text';
    case 'string':
      return JSON.stringify(token.value);
    default:
      return `"${token.value}"`;
  }
}
