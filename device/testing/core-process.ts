/**
 * `suanpan core serve` in a process of its own, as an operator runs it (tests and benchmarks):
 * resolves with the core's URL once it says it is listening, rejects if it exits first.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export interface CoreProcess {
  proc: ChildProcess;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** SIGTERM, then waits for the exit (at once if it has exited). */
  stop(): Promise<void>;
}

export async function serveCoreProcess(options: {
  dataDir: string;
  /** `--db URL`; else DATABASE_URL from `env`, else PGlite in the data folder. */
  db?: string;
  port?: number;
  /** `--host`; default the command's own (127.0.0.1). */
  host?: string;
  env?: NodeJS.ProcessEnv;
  /** Options for node itself (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** The core's log lines on this process's stderr (the bench shows them); else kept for an error. */
  inheritStderr?: boolean;
}): Promise<CoreProcess> {
  const proc = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      'bin/suanpan.js',
      'core',
      'serve',
      ...(options.db ? ['--db', options.db] : []),
      ...(options.host ? ['--host', options.host] : []),
      '--port',
      String(options.port ?? 0),
      '--data-dir',
      options.dataDir,
    ],
    {
      stdio: ['ignore', 'pipe', options.inheritStderr ? 'inherit' : 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    },
  );
  // Read as it comes, so a talkative core never blocks on a full pipe; the end says why it stopped.
  let errTail = '';
  proc.stderr?.on('data', (d) => {
    errTail = (errTail + d).slice(-2_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    proc.on('exit', (code) => reject(new Error(`core exited with ${code}: ${out}${errTail}`)));
  });
  return {
    proc,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.on('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
