/**
 * A `node --test` reporter that prints one JSON object per finished test:
 * its name, nesting, outcome and failure message. `coffer plugin certify`
 * reads these lines to turn the storage suite's tests into check results.
 */

/** One finished test, as a line of the reporter's output. */
export interface ReportedTest {
  name: string;
  nesting: number;
  status: 'passed' | 'failed' | 'skipped';
  message?: string;
  durationMs: number;
}

interface TestEventData {
  name: string;
  nesting: number;
  skip?: string | boolean;
  details?: { duration_ms?: number; error?: { message?: string; cause?: { message?: string } } };
}

export default async function* jsonLines(source: AsyncIterable<{ type: string; data: TestEventData }>): AsyncGenerator<string> {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    const durationMs = Math.round(data.details?.duration_ms ?? 0);
    let line: ReportedTest;
    if (event.type === 'test:fail') {
      // node:test wraps a failing test's error; the assertion's own message is the cause.
      const message = data.details?.error?.cause?.message ?? data.details?.error?.message ?? 'failed';
      line = { name: data.name, nesting: data.nesting, status: 'failed', message, durationMs };
    } else if (data.skip !== undefined && data.skip !== false) {
      line = { name: data.name, nesting: data.nesting, status: 'skipped', message: typeof data.skip === 'string' ? data.skip : 'skipped', durationMs };
    } else {
      line = { name: data.name, nesting: data.nesting, status: 'passed', durationMs };
    }
    yield `${JSON.stringify(line)}\n`;
  }
}
