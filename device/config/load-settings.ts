/**
 * Reads the settings: defaults, then `<dataDir>/suanpan.json`, then `SUANPAN_*` environment
 * variables (each setting's variable is its path in UPPER_SNAKE: offlinePolicy.perPaymentMax is
 * SUANPAN_OFFLINE_POLICY_PER_PAYMENT_MAX). Every problem is reported at once, each with its path
 * and where the bad value came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { Settings } from './settings.ts';

export const SETTINGS_FILE = 'suanpan.json';
/**
 * SUANPAN_* variables that are not settings: the data folder, and the developers' own (the tests'
 * PostgreSQL address, running the CLI from its sources; see DEVELOPERS.md), which a terminal
 * started from a shell that set them must not refuse.
 */
const NOT_SETTINGS = new Set(['SUANPAN_DATA_DIR', 'SUANPAN_TEST_PG_URL', 'SUANPAN_SOURCES']);

export type SettingSource =
  | { kind: 'default' }
  | { kind: 'file'; file: string }
  | { kind: 'env'; variable: string };

export interface SettingInfo {
  path: string;
  variable: string;
  description: string;
  /** `list`: an array; its variable holds the items separated by spaces. */
  type: 'string' | 'number' | 'boolean' | 'list';
  nullable: boolean;
}

export interface LoadedSettings {
  settings: Settings;
  /** Where each setting's value came from, by dotted path. */
  sources: Record<string, SettingSource>;
  file: string;
}

export class SettingsError extends Error {
  readonly code = 'BAD_SETTINGS';
  constructor(readonly problems: string[]) {
    super(
      `The terminal's settings have ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'SettingsError';
  }
}

type AnySchema = z.core.$ZodType & { description?: string };

function unwrap(schema: AnySchema): { inner: AnySchema; nullable: boolean; description: string } {
  let s = schema;
  let nullable = false;
  let description = schema.description ?? '';
  for (;;) {
    const def = s._zod.def as { type: string; innerType?: AnySchema };
    if (['default', 'prefault', 'optional', 'nullable'].includes(def.type) && def.innerType) {
      if (def.type === 'nullable') nullable = true;
      s = def.innerType;
      description ||= s.description ?? '';
    } else {
      return { inner: s, nullable, description };
    }
  }
}

function upperSnake(segment: string): string {
  return segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Every leaf setting of the schema, in schema order. */
export function settingCatalog(): SettingInfo[] {
  const out: SettingInfo[] = [];
  const walk = (schema: AnySchema, prefix: string[]) => {
    const { inner, nullable, description } = unwrap(schema);
    const def = inner._zod.def as { type: string; shape?: Record<string, AnySchema> };
    if (def.type === 'object' && def.shape) {
      for (const [key, child] of Object.entries(def.shape)) walk(child, [...prefix, key]);
      return;
    }
    const type =
      def.type === 'number'
        ? 'number'
        : def.type === 'boolean'
          ? 'boolean'
          : def.type === 'array'
            ? 'list'
            : 'string';
    out.push({
      path: prefix.join('.'),
      variable: `SUANPAN_${prefix.map(upperSnake).join('_')}`,
      description,
      type,
      nullable,
    });
  };
  walk((Settings._zod.def as unknown as { in: AnySchema }).in ?? Settings, []);
  return out;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}

function hasPath(source: unknown, dotted: string): boolean {
  let node = source;
  for (const key of dotted.split('.')) {
    if (typeof node !== 'object' || node === null || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `over` laid on `base`, section by section. A section of `base` that is not an object where `over`
 * sets settings inside it (the file's `"offlinePolicy": "150.00"` beside a SUANPAN_OFFLINE_POLICY_*
 * variable) is reported through `wrongSection` with its path: replacing it silently would hide the
 * file's mistake.
 */
function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  wrongSection: (path: string) => void,
  prefix = '',
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    if (isPlainObject(v) && isPlainObject(b)) out[k] = deepMerge(b, v, wrongSection, `${prefix}${k}.`);
    else {
      if (isPlainObject(v) && b !== undefined) wrongSection(`${prefix}${k}`);
      out[k] = v;
    }
  }
  return out;
}

export function loadSettings(dataDir: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const file = path.join(dataDir, SETTINGS_FILE);
  const problems: string[] = [];
  let fromFile: Record<string, unknown> = {};
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`${file}: cannot be read (${(err as Error).message})`);
  }
  if (text !== undefined) {
    try {
      // A byte-order mark, as some Windows editors save UTF-8, is not part of the JSON.
      const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(
          `${file}: must hold a JSON object, such as {"offlinePolicy": {"perPaymentMax": "200.00"}}`,
        );
      } else {
        fromFile = parsed as Record<string, unknown>;
      }
    } catch (err) {
      problems.push(`${file}: not valid JSON (${(err as Error).message})`);
    }
  }

  const catalog = settingCatalog();
  const byVariable = new Map(catalog.map((s) => [s.variable, s]));
  const fromEnv: Record<string, unknown> = {};
  const envPaths = new Map<string, string>();
  for (const [name, raw] of Object.entries(env).sort(([a], [b]) => a.localeCompare(b))) {
    if (!name.startsWith('SUANPAN_') || NOT_SETTINGS.has(name) || raw === undefined) continue;
    const info = byVariable.get(name);
    if (!info) {
      problems.push(
        `${name}: not a setting (known: ${catalog.map((s) => s.variable).join(', ')}, SUANPAN_DATA_DIR)`,
      );
      continue;
    }
    envPaths.set(info.path, name);
    setPath(fromEnv, info.path, coerce(raw, info));
  }

  const merged = deepMerge(fromFile, fromEnv, (p) =>
    problems.push(`${p} in ${file}: must be an object of settings, such as {"perPaymentMax": "200.00"}`),
  );
  const result = Settings.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const keys = (issue as { keys?: string[] }).keys;
      const paths = keys ? keys.map((k) => [...issue.path, k].join('.')) : [issue.path.join('.')];
      for (const p of paths) {
        // An item of a list setting ("scanner.uris.1") came from the list's variable.
        const variable =
          envPaths.get(p) ?? [...envPaths].find(([setting]) => p.startsWith(`${setting}.`))?.[1];
        const where = variable
          ? `${variable}=${JSON.stringify(env[variable])} (setting ${p})`
          : `${p || '(top level)'} in ${file}`;
        const message = keys ? 'not a setting' : issueMessage(issue, p && getPathSafe(merged, p));
        problems.push(`${where}: ${message}`);
      }
    }
  }
  if (problems.length > 0 || !result.success) throw new SettingsError(problems);

  const sources: Record<string, SettingSource> = {};
  for (const s of catalog) {
    const variable = envPaths.get(s.path);
    sources[s.path] = variable
      ? { kind: 'env', variable }
      : hasPath(fromFile, s.path)
        ? { kind: 'file', file }
        : { kind: 'default' };
  }
  return { settings: result.data, sources, file };
}

/** What is wrong with a setting's value, in words a technician can act on. */
function issueMessage(issue: { code: string; message: string }, value: unknown): string {
  if (issue.code !== 'invalid_type') return issue.message;
  const expected = (issue as { expected?: string }).expected;
  if (expected === 'number') return 'must be a number';
  // An amount or a name written without quotes: say how to write it.
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean'))
    return `must be text in quotes: "${value}"`;
  return `must be of type ${expected}`;
}

/** The value at a dotted path, or undefined where the path leads through something not an object. */
function getPathSafe(settings: unknown, dotted: string): unknown {
  let node = settings;
  for (const key of dotted.split('.')) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Environment values are text: numbers and booleans are converted strictly, "" is null where allowed. */
function coerce(raw: string, info: SettingInfo): unknown {
  if (raw === '' && info.nullable) return null;
  if (info.type === 'number') return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (info.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  // Device addresses hold `?`, `&` and `,` but never a space.
  if (info.type === 'list') return raw.split(/\s+/).filter((item) => item !== '');
  return raw;
}

export function getPath(settings: unknown, dotted: string): unknown {
  let node = settings;
  for (const key of dotted.split('.')) node = (node as Record<string, unknown>)[key];
  return node;
}
