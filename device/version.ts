import { createRequire } from 'node:module';

/** This build's version, from package.json: sent to the core and shown to technicians. */
export const SOFTWARE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;
