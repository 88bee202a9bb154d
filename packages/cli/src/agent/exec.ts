// Process supervisor mode, as Vault Agent's exec stanza runs it. The `exec`
// command runs as a child process with the env_template values in its
// environment and restarts when a value changes. When it exits on its own,
// the agent exits with the same code.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { ExecConfig } from './config.js';
import type { AgentLogger } from './log.js';

/** Time a child has to exit after the stop signal before it is killed, as Vault Agent's restart_kill_timeout defaults to. */
const killTimeoutMs = 30_000;

/** Sends `signal` and resolves when the child has exited, killing it after the timeout. */
function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), killTimeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

export class ChildSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  /** The restart in progress. Changes that arrive meanwhile join it, so only one child ever runs. */
  private restarting: Promise<void> | undefined;
  /** Environment for the child that the restart in progress starts: the latest one requested. */
  private nextEnv: Record<string, string> | undefined;

  constructor(
    private readonly config: ExecConfig,
    private readonly logger: AgentLogger,
    /** Called when the child exits on its own, with its exit code (1 when a signal ended it). */
    private readonly onExit: (code: number) => void,
  ) {}

  /** True while a child runs or a restart is replacing it. */
  get running(): boolean {
    return this.child !== undefined || this.restarting !== undefined;
  }

  /** Starts the child with the agent's environment plus `env`, sharing the agent's stdin, stdout and stderr. */
  start(env: Record<string, string>): void {
    if (this.stopping) return;
    const [program, ...args] = this.config.command;
    const child = spawn(program, args, { env: { ...process.env, ...env }, stdio: 'inherit' });
    this.child = child;
    this.logger.info('starting child process', { command: program, pid: child.pid });
    child.on('error', (error) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.logger.error('error starting child process', { command: program, error: error.message });
      this.onExit(1);
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.logger.info('child process exited', { pid: child.pid, exit_code: code ?? undefined, signal: signal ?? undefined });
      if (!this.stopping) this.onExit(code ?? 1);
    });
  }

  /**
   * Stops the child with restart_stop_signal and starts it again with `env`.
   * A call during a restart joins it, and the new child gets the latest `env`.
   */
  restart(env: Record<string, string>): Promise<void> {
    this.nextEnv = env;
    this.restarting ??= this.replaceChild();
    return this.restarting;
  }

  private async replaceChild(): Promise<void> {
    const old = this.child;
    this.child = undefined;
    if (old !== undefined) {
      this.logger.info('restarting child process because a secret changed', { pid: old.pid });
      await stopChild(old, this.config.restartStopSignal);
    }
    const env = this.nextEnv ?? {};
    this.nextEnv = undefined;
    this.restarting = undefined;
    this.start(env);
  }

  /** Stops the child for good. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.restarting;
    const old = this.child;
    this.child = undefined;
    if (old !== undefined) await stopChild(old, this.config.restartStopSignal);
  }
}
