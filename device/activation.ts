/**
 * Activation: binding this terminal's key to a merchant at a core, with a one-time code the
 * operator issued. The result is kept in `<dataDir>/activation.json`, and the core's URL becomes the
 * `core.url` setting in `suanpan.json`, so every later command goes online.
 */
import path from 'node:path';
import { CoreClient } from '../sync/client/core-client.ts';
import { CoreConnectionLostError, CoreTimeoutError } from '../sync/client/errors.ts';
import { ActivateRequest } from '../sync/protocol/wire.ts';
import { ACTIVATION_FILE, ActivationError, type ActivationRecord } from './activation-record.ts';
import { SETTINGS_FILE } from './config/load-settings.ts';
import { readJsonFile, writeJsonFileAtomically } from './json-file.ts';
import { openTerminal } from './terminal.ts';
import { SOFTWARE_VERSION } from './version.ts';

/** Normalises an activation code as typed ("k7qm 2xwp 9hrt") to the core's form (K7QM-2XWP-9HRT). */
export function normaliseActivationCode(input: string): string {
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  return compact.length === 12 ? `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8)}` : input;
}

/**
 * A timeout or a broken connection after the request went out: the core may have activated this
 * terminal and its answer was lost. Said so, with what to do: the core answers the terminal that
 * used a code with the same answer again (CoreService.activate), so repeating it is safe. The
 * error keeps its class and code (the host maps it to CORE_NO_ANSWER).
 */
function inDoubt(err: unknown): unknown {
  const retry =
    'The activation may have gone through at the core: running the same command again, with the same code, is safe (the core gives this terminal the same answer).';
  if (err instanceof CoreTimeoutError) return new CoreTimeoutError(`${err.message} ${retry}`, { cause: err });
  if (err instanceof CoreConnectionLostError)
    return new CoreConnectionLostError(`${err.message} ${retry}`, { cause: err });
  return err;
}

export async function activate(options: {
  dataDir: string;
  coreUrl: string;
  code: string;
  env?: NodeJS.ProcessEnv;
}) {
  let url: URL;
  try {
    url = new URL(options.coreUrl);
    if (!['http:', 'https:'].includes(url.protocol)) throw new Error('not http');
  } catch {
    throw new ActivationError(
      'BAD_CORE_URL',
      `"${options.coreUrl}" is not a core URL: use http(s)://host:port, e.g. http://127.0.0.1:7430.`,
    );
  }
  // The protocol's paths are absolute (/v1/...): a path given here would be dropped, not used.
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new ActivationError(
      'BAD_CORE_URL',
      `"${options.coreUrl}" has a path: the core is reached at http(s)://host:port (here ${url.origin}), with no path after it.`,
    );
  }
  const code = normaliseActivationCode(options.code);
  if (!ActivateRequest.shape.code.safeParse(code).success) {
    throw new ActivationError(
      'BAD_ACTIVATION_CODE',
      `"${options.code}" is not an activation code: it is 12 letters and digits, like K7QM-2XWP-9HRT.`,
    );
  }
  const terminal = openTerminal({ dataDir: options.dataDir, env: options.env, create: true });
  try {
    const client = new CoreClient({
      baseUrl: url.toString(),
      terminalId: terminal.key.terminalId,
      sign: terminal.key.sign,
      onClockOffset: (offsetMs, localMs) => terminal.coreClock.learned(offsetMs, localMs),
    });
    const response = await client
      .activate({
        code,
        terminalId: terminal.key.terminalId,
        publicKey: terminal.key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        softwareVersion: SOFTWARE_VERSION,
      })
      .catch((err: unknown) => {
        throw inDoubt(err);
      })
      .finally(() => client.close());
    const record: ActivationRecord = {
      coreUrl: url.toString().replace(/\/$/, ''),
      terminalId: response.terminalId,
      merchantId: response.merchantId,
      merchantName: response.merchantName,
      activatedAt: new Date().toISOString(),
    };
    writeJsonFileAtomically(path.join(options.dataDir, ACTIVATION_FILE), record);
    // The core's URL becomes a setting, kept with the others (and shown by `config show`).
    const settingsFile = path.join(options.dataDir, SETTINGS_FILE);
    const settings = (readJsonFile(settingsFile) as Record<string, unknown> | undefined) ?? {};
    settings.core = { ...((settings.core as Record<string, unknown>) ?? {}), url: record.coreUrl };
    writeJsonFileAtomically(settingsFile, settings);
    terminal.log.info(
      { terminalId: record.terminalId, merchantId: record.merchantId, core: record.coreUrl },
      'terminal activated',
    );
    return record;
  } finally {
    terminal.close();
  }
}
