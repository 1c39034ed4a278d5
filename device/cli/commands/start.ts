/**
 * `suanpan start`: runs the terminal host (device/host) in this process until Ctrl-C or SIGTERM:
 * scanners, printing, background sync, and the kiosk's local API on 127.0.0.1. Prints the kiosk URL,
 * which carries this boot's token in its fragment, for a browser on this machine.
 */
import { HostError } from '../../host/errors.ts';
import type { RunningHost } from '../../host/host.ts';
import { type CliIO, type CommandResult, EXIT_REFUSED, jsonLine, UsageError } from '../output.ts';

export interface StartOptions {
  dataDir: string;
  port?: string;
  json?: boolean;
}

export async function start(options: StartOptions, io: CliIO): Promise<CommandResult> {
  let port: number | undefined;
  if (options.port !== undefined) {
    port = /^[0-9]{1,5}$/.test(options.port) ? Number(options.port) : Number.NaN;
    if (!(port >= 0 && port <= 65_535)) {
      throw new UsageError(`Invalid --port "${options.port}": use 1–65535, or 0 for any free port.`);
    }
  }
  // Loaded here, not with the CLI: Fastify and its plugins are for this command only.
  const { startHost } = await import('../../host/host.ts');
  let host: RunningHost;
  try {
    host = await startHost({
      dataDir: options.dataDir,
      env: io.env,
      ...(port !== undefined ? { port } : {}),
    });
  } catch (err) {
    if (!(err instanceof HostError)) throw err;
    if (err.code !== 'PORT_IN_USE') throw new UsageError(err.message);
    // Refused, not bad usage: the port is fine, something else holds it.
    if (!options.json) io.stderr(`suanpan: ${err.message}\n`);
    return {
      json: { ok: false, error: { code: err.code, message: err.message } },
      text: '',
      exitCode: EXIT_REFUSED,
    };
  }
  const healthz = `${host.url}/healthz`;
  const terminalId = host.terminal.key.terminalId;
  if (options.json) {
    io.stdout(jsonLine({ url: host.url, kioskUrl: host.kioskUrl, healthz, terminalId }));
  } else {
    io.stdout(
      [
        `Suanpan host for terminal ${terminalId}, data folder ${options.dataDir}. Ctrl-C stops it.`,
        `Kiosk: ${host.kioskUrl}`,
        `Health: ${healthz}`,
        '',
      ].join('\n'),
    );
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (s: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(s);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await host.close();
  return { json: { stopped: true, signal }, text: 'Host stopped.' };
}
