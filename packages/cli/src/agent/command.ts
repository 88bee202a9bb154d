// `coffer agent`: the counterpart of `vault agent`. It reads Vault Agent's
// config file format and runs auto-auth, templates and the API proxy.
import type { Command } from '../command.js';
import { expectArguments } from '../command.js';
import { ConfigError, envSetting } from '../client.js';
import { UsageError } from '../flags.js';
import { runAgent } from './agent.js';
import { AgentConfigError, loadAgentConfig } from './config.js';
import { AgentLogger, parseLogLevel } from './log.js';
import { agentClientConfig } from './server-client.js';
import { TemplateError, loadTemplates } from './templates.js';

export const agentCommand: Command = {
  name: 'agent',
  synopsis: 'Start a Coffer agent',
  help: `
Usage: coffer agent -config=FILE [options]

  Starts a Coffer agent, the counterpart of Vault Agent, which reads the same
  config file format. The agent logs in with an auto-auth method, writes the
  token to its sinks and keeps it renewed, renders templates from secrets
  and keeps them current, and proxies API requests on its listeners, adding
  its token when api_proxy asks for it.

      $ coffer agent -config=/etc/coffer/agent.hcl

  With exit_after_auth (or -exit-after-auth), the agent logs in, writes the
  sinks, renders the templates once and exits.`,
  flags: [
    {
      name: 'config',
      kind: 'list',
      usage: 'Path to an agent config file or a folder of them (.hcl and .json). Repeat the flag to merge several.',
    },
    { name: 'exit-after-auth', kind: 'bool', usage: 'Exit with code 0 after the first login, once the sinks are written and the templates rendered.' },
    { name: 'log-level', kind: 'string', defaultText: 'info', usage: 'Log verbosity: trace, debug, info, warn or error. COFFER_LOG_LEVEL or VAULT_LOG_LEVEL also set it.' },
  ],
  async run({ ui, io, args, flags }) {
    expectArguments(args, 0);
    const paths = flags.list('config');
    if (paths.length === 0) throw new UsageError('Must specify at least one config path using -config');
    try {
      const config = await loadAgentConfig(paths);
      const levelName = flags.string('log-level') || envSetting(io.env, 'LOG_LEVEL') || config.logLevel || 'info';
      const level = parseLogLevel(levelName);
      if (level === undefined) throw new UsageError(`invalid log level "${levelName}": use trace, debug, info, warn or error`);
      if (flags.bool('exit-after-auth')) config.exitAfterAuth = true;
      if (config.exitAfterAuth && config.method === undefined) throw new AgentConfigError(`${config.files[0]}: exit_after_auth: needs an auto_auth stanza`);
      if (config.exitAfterAuth && config.exec !== undefined) throw new AgentConfigError(`${config.files[0]}: exec: cannot be used with -exit-after-auth`);
      const templates = await loadTemplates([...config.templates, ...config.envTemplates]);
      const clientConfig = await agentClientConfig(config.server, io.env);
      const logger = new AgentLogger(io.stderr, level);
      return await runAgent({ config, clientConfig, templates, logger, ui }, io.signal);
    } catch (error) {
      if (error instanceof AgentConfigError || error instanceof ConfigError) {
        ui.error(`Error loading configuration: ${error.message}`);
        return 1;
      }
      if (error instanceof TemplateError) {
        ui.error(`Error parsing template: ${error.message}`);
        return 1;
      }
      throw error;
    }
  },
};
