/**
 * @coffer/seal-transit: the `seal "transit"` stanza, another server's transit
 * engine as the seal.
 */
import { SDK_VERSION, type SealPlugin } from '@coffer/sdk';
import { parseTransitSettings, TRANSIT_SETTINGS } from './settings.js';
import { TransitSeal } from './transit-seal.js';

export { parseTransitSettings, TransitSettingsError } from './settings.js';
export { TransitSeal } from './transit-seal.js';

export const plugin: SealPlugin = {
  kind: 'seal',
  name: 'transit',
  version: '0.1.0',
  sdkVersion: SDK_VERSION,
  settings: TRANSIT_SETTINGS,
  async create(settings, context) {
    return new TransitSeal(parseTransitSettings(settings, context.env ?? process.env));
  },
};
