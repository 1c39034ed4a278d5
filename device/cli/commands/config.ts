import { getPath, loadSettings, settingCatalog } from '../../config/load-settings.ts';
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
      value: getPath(loaded.settings, s.path),
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
      settings: loaded.settings,
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
