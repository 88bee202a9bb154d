/**
 * Forking, querying and stopping the runner's child processes. Every child
 * forked here is tracked until it exits, so `stopAllChildren` can end them
 * when a run fails or is interrupted.
 */
import { fork } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** Children that have not exited yet. */
const running = new Set();

/** How long a child may take to exit after `stop` before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * A forked child with an IPC channel. Its stdout and stderr go to `logFile`.
 */
export class Child {
  /**
   * @param {string} name shown in errors, e.g. "coffer"
   * @param {URL} script the child's module
   * @param {string[]} args
   * @param {{ logFile: string, execArgv?: string[], execPath?: string }} options `execPath`
   *   runs the child under another program, such as valgrind, which then gets
   *   `execArgv` followed by the script; by default Node.js runs it
   */
  constructor(name, script, args, { logFile, execArgv = [], execPath }) {
    this.name = name;
    this.logFile = logFile;
    const log = openSync(logFile, 'a');
    try {
      this.process = fork(script, args, { stdio: ['ignore', log, log, 'ipc'], execArgv, ...(execPath === undefined ? {} : { execPath }) });
    } finally {
      closeSync(log);
    }
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      });
    });
    running.add(this);
  }

  /**
   * Resolves with the child's next message of `type`, and rejects when the
   * child exits first or `timeoutMs` passes.
   */
  waitFor(type, timeoutMs) {
    return new Promise((resolve, reject) => {
      const onMessage = (message) => {
        if (message?.type !== type) return;
        cleanup();
        resolve(message);
      };
      const onExit = (code, signal) => {
        cleanup();
        reject(new Error(`${this.name} child exited (code ${code}, signal ${signal}) before sending "${type}"\n${this.logTail()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${this.name} child sent no "${type}" message within ${timeoutMs} ms\n${this.logTail()}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.process.off('message', onMessage);
        this.process.off('exit', onExit);
      };
      this.process.on('message', onMessage);
      this.process.once('exit', onExit);
    });
  }

  /**
   * Returns the child's `process.cpuUsage()` (user and system CPU time of all
   * its threads in microseconds) with `mainThreadUs`, its main thread's share
   * (`null` where unknown).
   */
  async cpuUsage() {
    const reply = this.waitFor('cpu-usage', 10_000);
    this.process.send({ type: 'cpu-usage' });
    const { usage, mainThreadUs } = await reply;
    return { ...usage, mainThreadUs: mainThreadUs ?? null };
  }

  /** Asks the child to stop, and kills it if it has not exited within STOP_TIMEOUT_MS. */
  async stop() {
    if (!running.has(this)) return this.exited;
    if (this.process.connected) this.process.send({ type: 'stop' });
    else this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** Returns the last lines of the child's log, for error messages. */
  logTail(lines = 20) {
    try {
      const text = readFileSync(this.logFile, 'utf8').trimEnd();
      if (text === '') return `(${this.name} log is empty)`;
      return `last lines of the ${this.name} log:\n${text.split('\n').slice(-lines).join('\n')}`;
    } catch (err) {
      return `(${this.name} log unreadable: ${err.message})`;
    }
  }
}

/**
 * Forks a server child and resolves once it sends its ready message, within
 * `options.readyTimeoutMs` (default 60 s).
 *
 * @returns {Promise<{ child: Child, address: string }>}
 */
export async function startServerChild(name, script, args, options) {
  const child = new Child(name, script, args, options);
  try {
    const ready = await child.waitFor('ready', options.readyTimeoutMs ?? 60_000);
    return { child, address: ready.address };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

/** Stops every child still running, in parallel. */
export async function stopAllChildren() {
  await Promise.all([...running].map((child) => child.stop()));
}
