/**
 * The command-line start of a benchmark script: options parsed with the
 * script's parser, `--help`, and a failure reported with exit status 1.
 */

/**
 * Parses `process.argv` with `parseOptions` and runs `run` with the
 * options. An invalid option prints the error and `usage` and exits with
 * status 2, and `--help` prints `usage`.
 *
 * @param {{ usage: string, parseOptions: (argv: string[]) => { help: boolean }, run: (options: object) => Promise<void> }} command
 */
export function runCommand({ usage, parseOptions, run }) {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\n\n${usage}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(usage);
    return;
  }
  run(options).catch((err) => {
    console.error(`bench: failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  });
}
