// File sinks: every new auto-auth token is written to each configured file,
// or a response-wrapping token for it when the sink sets wrap_ttl.
import { CofferClient, ResponseWrapped } from '../client.js';
import type { AuthToken } from './auth-methods.js';
import { writeFileAtomic } from './atomic-file.js';
import type { SinkConfig } from './config.js';
import type { AgentLogger } from './log.js';

/**
 * Wraps `token` with sys/wrapping/wrap and returns the wrap information as
 * JSON, the text Vault Agent writes to a sink with wrap_ttl.
 */
async function wrapToken(client: CofferClient, token: AuthToken, wrapTtl: number): Promise<string> {
  const wrapper = new CofferClient({ ...client.config, token: token.token, wrapTtl });
  try {
    await wrapper.write('sys/wrapping/wrap', { token: token.token });
  } catch (error) {
    if (error instanceof ResponseWrapped && error.secret.wrap_info) return JSON.stringify(error.secret.wrap_info);
    throw error;
  }
  throw new Error('the server did not wrap the token: the response of sys/wrapping/wrap has no wrap_info');
}

/**
 * Writes `token` to every sink. A failed sink is logged and the others are
 * still written; returns false when any sink failed.
 */
export async function writeSinks(sinks: SinkConfig[], client: CofferClient, token: AuthToken, logger: AgentLogger): Promise<boolean> {
  let allWritten = true;
  for (const sink of sinks) {
    try {
      const contents = sink.wrapTtl > 0 ? await wrapToken(client, token, sink.wrapTtl) : token.token;
      await writeFileAtomic(sink.path, contents, sink.mode);
      logger.info('token written', { path: sink.path, wrapped: sink.wrapTtl > 0 });
    } catch (error) {
      allWritten = false;
      logger.error('error writing token to sink', { path: sink.path, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return allWritten;
}
