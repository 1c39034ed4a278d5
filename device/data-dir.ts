import os from 'node:os';
import path from 'node:path';

/** --data-dir, else SUANPAN_DATA_DIR, else $XDG_DATA_HOME/suanpan (~/.local/share/suanpan). */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  if (env.SUANPAN_DATA_DIR) return path.resolve(env.SUANPAN_DATA_DIR);
  const xdg =
    env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME)
      ? env.XDG_DATA_HOME
      : path.join(os.homedir(), '.local', 'share');
  return path.join(xdg, 'suanpan');
}
