/**
 * The model every conformance suite shares: a suite is a list of named
 * checks, each required or optional, run in order against one context.
 * A check that cannot apply throws {@link SkipCheck} with the reason, so a
 * skip is always explained in the results.
 */
import { describe, test } from 'node:test';

/** One named check of a suite. */
export interface Check<C> {
  /** Stable id, used in results, JUnit names and failure messages, e.g. `help`. */
  id: string;
  /** One sentence saying what the check verifies. */
  title: string;
  /** A failed required check fails certification; a failed optional one is reported only. */
  required: boolean;
  /**
   * Runs the check.
   * @throws SkipCheck when the check does not apply, with the reason;
   *   any other error fails the check with its message.
   */
  run(context: C): Promise<void>;
}

/** Thrown by a check that does not apply to the plugin under test. */
export class SkipCheck extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipCheck';
  }
}

/** Outcome of one check. */
export interface CheckResult {
  id: string;
  title: string;
  required: boolean;
  status: 'passed' | 'failed' | 'skipped';
  /** The failure message or the skip reason; absent when the check passed. */
  message?: string;
  /** Wall-clock time of the check, in milliseconds. */
  durationMs: number;
}

/** Outcome of one suite run. */
export interface SuiteResult {
  /** Suite name, such as `secrets` or `storage`. */
  suite: string;
  /** Name of the plugin under test. */
  plugin: string;
  results: CheckResult[];
}

/**
 * Runs every check in order and collects the results. A failing check does
 * not stop the run, so the report lists every problem at once.
 */
export async function runChecks<C>(suite: string, plugin: string, checks: readonly Check<C>[], context: C): Promise<SuiteResult> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const started = performance.now();
    const base = { id: check.id, title: check.title, required: check.required };
    try {
      await check.run(context);
      results.push({ ...base, status: 'passed', durationMs: elapsed(started) });
    } catch (error) {
      const status = error instanceof SkipCheck ? 'skipped' : 'failed';
      results.push({ ...base, status, message: errorMessage(error), durationMs: elapsed(started) });
    }
  }
  return { suite, plugin, results };
}

/**
 * Returns true when every required check passed. A required check that was
 * skipped counts as passed only when `allowedSkip` accepts it, because a
 * skip that the plugin's own description asked for is a documented gap,
 * but a skip for any other reason proves nothing.
 */
export function suitePassed(result: SuiteResult, allowedSkip: (check: CheckResult) => boolean = () => true): boolean {
  return result.results.every((check) => !check.required || check.status === 'passed' || (check.status === 'skipped' && allowedSkip(check)));
}

/** Returns one line per failed required check: `check "<id>" failed: <message>`. */
export function failureLines(result: SuiteResult): string[] {
  return result.results
    .filter((check) => check.required && check.status === 'failed')
    .map((check) => `check "${check.id}" failed: ${check.message ?? 'no message'}`);
}

/**
 * Declares a suite with `node:test`: one `describe` for the suite, one
 * `test` per check, in order. The context is made once before the first
 * check and handed to each. Built-in plugins call this from their tests, so
 * they pass the very checks that `coffer plugin certify` runs.
 */
export function declareChecks<C>(suite: string, checks: readonly Check<C>[], context: () => C): void {
  describe(`${suite} conformance`, () => {
    for (const check of checks) {
      test(`${check.id}: ${check.title}`, async (t) => {
        try {
          await check.run(context());
        } catch (error) {
          if (!(error instanceof SkipCheck)) throw error;
          t.skip(error.message);
        }
      });
    }
  });
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Wraps a check so that a reason in the description's `skip` map, keyed by
 * check id, skips it. The reason shows in every report.
 */
export function skippableByDescription<C extends { description: { skip?: Record<string, string> } }>(check: Check<C>): Check<C> {
  return {
    ...check,
    async run(context) {
      const reason = context.description.skip?.[check.id];
      if (reason !== undefined) throw new SkipCheck(`skipped by the description: ${reason}`);
      await check.run(context);
    },
  };
}
