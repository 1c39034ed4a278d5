import { getPath, loadSettings, settingCatalog } from '../../config/load-settings.ts';
import { SECRET_SETTINGS } from '../../config/settings.ts';
import { table } from '../format.ts';
import type { CliIO, CommandResult } from '../output.ts';

/** The effective settings and where each came from. */
export function configShow(options: { dataDir: string }, io: CliIO): CommandResult {
  const loaded = loadSettings(options.dataDir, io.env);
  const catalog = settingCatalog();
  const rows = catalog.map((s) => {
    const source = loaded.sources[s.path];
    return {
      setting: s.path,
      value: shown(s.path, getPath(loaded.settings, s.path)),
      source:
        source?.kind === 'env'
          ? `env ${source.variable}`
          : source?.kind === 'file'
            ? `file ${source.file}`
            : 'default',
      variable: s.variable,
      description: s.description,
    };
  });
  return {
    json: {
      dataDir: options.dataDir,
      file: loaded.file,
      settings: Object.fromEntries(
        Object.entries(loaded.settings).map(([group, values]) => [
          group,
          Object.fromEntries(
            Object.entries(values as Record<string, unknown>).map(([k, v]) => [k, shown(`${group}.${k}`, v)]),
          ),
        ]),
      ),
      sources: Object.fromEntries(rows.map((r) => [r.setting, r.source])),
    },
    text: [
      `Data folder: ${options.dataDir}`,
      `Settings file: ${loaded.file}`,
      '',
      table(
        ['setting', 'value', 'source', 'variable'],
        rows.map((r) => [r.setting, JSON.stringify(r.value), r.source, r.variable]),
      ),
    ].join('\n'),
  };
}

/** A secret setting (a PIN) as `config show` prints it: whether it is set, not its value. */
function shown(setting: string, value: unknown): unknown {
  if (!SECRET_SETTINGS.has(setting) || value === null) return value;
  return '(set)';
}
