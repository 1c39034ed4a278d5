/**
 * electron-builder.yml, the udev rules and the deb scripts, checked without building a package (that
 * needs Electron's zips and headers from the network, and would rebuild the checkout's native modules
 * for Electron). The configuration is read and validated by electron-builder's own code, so a
 * misspelt key or a wrong shape fails here as it would in a release build.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config.js';
import { DebugLogger } from 'builder-util';
import type { Configuration } from 'electron-builder';
import { beforeAll, describe, expect, test } from 'vitest';
import { KNOWN_DEVICES } from '../../drivers/scanner/known-devices.ts';
import { OUT_DIR, REPO_ROOT } from './bundling.ts';
import { ELECTRON_FUSES } from './settings.ts';

const read = (file: string) => fs.readFileSync(path.join(REPO_ROOT, file), 'utf8');
const packageJson = JSON.parse(read('package.json')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  allowScripts: Record<string, boolean>;
};

let config: Configuration;

beforeAll(async () => {
  config = await getConfig(REPO_ROOT, null, null);
});

describe('electron-builder.yml', () => {
  test("is valid for electron-builder's schema", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    // The validator does refuse a misspelt fuse: the check above means something.
    const misspelt = {
      ...config,
      electronFuses: { ...config.electronFuses, runAsNod: false },
    } as Configuration;
    await expect(validateConfiguration(misspelt, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
  });

  test('Linux AppImage and deb, each for x64 and arm64', () => {
    const targets = config.linux?.target as { target: string; arch: string[] }[];
    expect(targets.map((t) => t.target).sort()).toEqual(['AppImage', 'deb']);
    for (const t of targets) expect([...t.arch].sort(), t.target).toEqual(['arm64', 'x64']);
  });

  test('the fuses are the ones settings.ts declares', () => {
    expect(config.electronFuses).toEqual(ELECTRON_FUSES);
  });

  test('native modules are rebuilt for Electron and unpacked from the asar', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(true);
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/*.node');
    for (const native of ['better-sqlite3', 'node-hid', 'serialport', 'usb']) {
      expect(packageJson.dependencies[native], native).toBeDefined();
    }
  });

  test('the app is the bundle Vite writes, beside the renderer, in the repository layout', () => {
    const main = config.extraMetadata.main as string;
    expect(path.join(REPO_ROOT, main)).toBe(path.join(OUT_DIR, 'main.js'));
    // electron-builder's loader turns the list into file sets ({ filter: [...] }).
    const files = (config.files as ({ filter?: string[] } | string)[]).flatMap((f) =>
      typeof f === 'string' ? [f] : (f.filter ?? []),
    );
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'ui-kiosk/electron/dist/**', 'ui-kiosk/web/dist/**']),
    );
    expect(packageJson.scripts['build:electron']).toMatch(/--mode main .*--mode preload/);
  });

  test('the output folder is ignored by git and outside the packaged files', () => {
    const output = config.directories?.output as string;
    expect(execFileSync('git', ['check-ignore', '-q', `${output}/x`], { cwd: REPO_ROOT }).length).toBe(0);
    expect(output.startsWith('ui-kiosk/')).toBe(false);
  });

  test("the kiosk's executable does not take the CLI's name", () => {
    expect(config.linux?.executableName).toBeTruthy();
    expect(Object.keys(packageJson.bin)).not.toContain(config.linux?.executableName);
  });

  test("the kiosk's host gets the V8 memory option `suanpan start` gets from bin/suanpan.js", () => {
    const shebang = fs.readFileSync(path.join(REPO_ROOT, 'bin/suanpan.js'), 'utf8').split('\n')[0];
    const flag = /--max-semi-space-size=\d+/.exec(shebang ?? '')?.[0];
    expect(flag).toBeDefined();
    expect(config.linux?.executableArgs).toContain(`--js-flags=${flag}`);
  });
});

describe('the deb scripts', () => {
  const scripts = () => ({ afterInstall: config.deb?.afterInstall, afterRemove: config.deb?.afterRemove });
  // Defaults from app-builder-lib: the custom scripts replace them, so must keep what they do.
  const templates = path.join(REPO_ROOT, 'node_modules/app-builder-lib/templates/linux');

  test('exist, are executable and parse as bash', () => {
    for (const [name, file] of Object.entries(scripts())) {
      expect(file, name).toMatch(/^ui-kiosk\/electron\/build\/after-(install|remove)\.sh$/);
      const full = path.join(REPO_ROOT, file as string);
      expect(fs.statSync(full).mode & 0o111, name).not.toBe(0);
      execFileSync('bash', ['-n', full]);
    }
  });

  test('use only the macros electron-builder fills in (any other dollar-brace name fails the build)', () => {
    for (const file of Object.values(scripts())) {
      const macros = [...read(file as string).matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]);
      expect(new Set(macros)).toEqual(new Set(['executable', 'sanitizedProductName']));
    }
  });

  test("keep every command of electron-builder's default scripts", () => {
    const commands = (text: string) =>
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith('#'));
    for (const [mine, theirs] of [
      [scripts().afterInstall, 'after-install.tpl'],
      [scripts().afterRemove, 'after-remove.tpl'],
    ] as const) {
      const own = new Set(commands(read(mine as string)));
      for (const command of commands(fs.readFileSync(path.join(templates, theirs), 'utf8'))) {
        expect(own.has(command), `${theirs}: ${command}`).toBe(true);
      }
    }
  });

  test('install the rules from where extraResources puts them, then reload udev', () => {
    const resources = config.extraResources as { from: string; to: string }[];
    const rules = resources.find((r) => r.from.endsWith('60-suanpan.rules'));
    expect(rules).toBeDefined();
    expect(fs.existsSync(path.join(REPO_ROOT, rules?.from as string))).toBe(true);
    const install = read(config.deb?.afterInstall as string);
    expect(install).toContain(`'/opt/\${sanitizedProductName}/resources/${rules?.to}'`);
    expect(install).toContain("RULES_TARGET='/etc/udev/rules.d/60-suanpan.rules'");
    expect(install).toMatch(/udevadm control --reload-rules && udevadm trigger/);
    expect(install).toMatch(/groupadd --system suanpan/);
    const remove = read(config.deb?.afterRemove as string);
    expect(remove).toContain("RULES_TARGET='/etc/udev/rules.d/60-suanpan.rules'");
    // Not on upgrade: the new version's postinst has just installed its own.
    expect(remove).toMatch(/remove\|purge\)\s+rm -f "\$RULES_TARGET"/);
  });
});

describe('60-suanpan.rules', () => {
  const lines = read('ui-kiosk/electron/build/60-suanpan.rules')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));
  /** `KEY{attr}=="value"` pairs of a rule line; throws on anything udev would not read. */
  const parse = (line: string) =>
    line.split(/,\s*/).map((pair) => {
      const m = /^([A-Z_]+)(?:\{([A-Za-z_]+)\})?(==|!=|\+=|=)"([^"]*)"$/.exec(pair.trim());
      if (!m) throw new Error(`not a udev key: ${pair} (in ${line})`);
      return { key: m[1] as string, attr: m[2], op: m[3] as string, value: m[4] as string };
    });
  const rules = lines.map(parse);
  const MATCH_KEYS = ['SUBSYSTEM', 'KERNEL', 'ATTR', 'ATTRS', 'ENV'];
  const ASSIGN_KEYS = ['GROUP', 'MODE', 'TAG', 'ENV'];

  test('every line is well formed: matches with ==, assignments with = or +=', () => {
    for (const rule of rules) {
      for (const { key, op } of rule) {
        if (op === '==' || op === '!=') expect(MATCH_KEYS, key).toContain(key);
        else expect(ASSIGN_KEYS, key).toContain(key);
      }
      expect(
        rule.some((k) => k.op === '=='),
        JSON.stringify(rule),
      ).toBe(true);
    }
  });

  const value = (rule: ReturnType<typeof parse>, key: string, attr?: string) =>
    rule.find((k) => k.key === key && k.attr === attr)?.value;
  const granting = rules.filter((r) => value(r, 'GROUP') !== undefined);

  test('hidraw for the scanner makers of known-devices.ts', () => {
    const vendors = granting
      .filter((r) => value(r, 'SUBSYSTEM') === 'hidraw')
      .map((r) => value(r, 'ATTRS', 'idVendor'));
    expect(new Set(vendors)).toEqual(new Set(['0c2e', '05e0', '05f9', '1eab', '0536']));
    const makers = new Set(
      KNOWN_DEVICES.filter((d) => !d.sharedBridge).map((d) => d.vendorId.toString(16).padStart(4, '0')),
    );
    expect(new Set(vendors)).toEqual(makers);
  });

  test('USB printer-class devices (libusb) and usblp nodes', () => {
    expect(
      granting.some(
        (r) =>
          value(r, 'SUBSYSTEM') === 'usb' &&
          value(r, 'ENV', 'DEVTYPE') === 'usb_device' &&
          value(r, 'ENV', 'ID_USB_INTERFACES') === '*:0701??:*',
      ),
    ).toBe(true);
    expect(
      granting.some((r) => value(r, 'SUBSYSTEM') === 'usbmisc' && value(r, 'KERNEL') === 'lp[0-9]*'),
    ).toBe(true);
  });

  test('serial ports for dialout', () => {
    const serial = granting.find((r) => value(r, 'SUBSYSTEM') === 'tty');
    expect(serial && value(serial, 'KERNEL')).toBe('ttyUSB[0-9]*|ttyACM[0-9]*');
    expect(serial && value(serial, 'GROUP')).toBe('dialout');
  });

  test('every grant is 0660 to a group, plus the seat user (uaccess)', () => {
    expect(granting.length).toBeGreaterThanOrEqual(8);
    for (const rule of granting) {
      expect(['suanpan', 'dialout']).toContain(value(rule, 'GROUP'));
      expect(value(rule, 'MODE')).toBe('0660');
      expect(rule.some((k) => k.key === 'TAG' && k.op === '+=' && k.value === 'uaccess')).toBe(true);
    }
  });

  test('sorted before 73-seat-late.rules, where uaccess is applied', () => {
    expect(Number(/^(\d+)-/.exec('60-suanpan.rules')?.[1])).toBeLessThan(73);
  });
});

describe('npm install never needs the Electron binary', () => {
  test('electron is a devDependency only, and its install scripts are not allowed', () => {
    expect(packageJson.devDependencies.electron).toBeDefined();
    expect(packageJson.dependencies.electron).toBeUndefined();
    expect(packageJson.optionalDependencies?.electron).toBeUndefined();
    expect(packageJson.peerDependencies?.electron).toBeUndefined();
    expect(packageJson.allowScripts.electron).toBe(false);
  });

  test('the lock file agrees: electron is dev-only', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    expect(lock.packages['node_modules/electron']?.dev).toBe(true);
  });

  test("nothing outside the shell imports 'electron' at run time (its index.js downloads the binary)", () => {
    const offenders: string[] = [];
    const runtimeImport =
      /^\s*import\s+(?!type\b)[^;]*from\s+['"]electron['"]|require\(\s*['"]electron['"]\s*\)|import\(\s*['"]electron['"]\s*\)/m;
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (
          /\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) &&
          runtimeImport.test(fs.readFileSync(full, 'utf8'))
        ) {
          offenders.push(path.relative(REPO_ROOT, full));
        }
      }
    };
    for (const dir of ['device', 'drivers', 'sync', 'test-hardware', 'bench', 'bin', 'ui-kiosk/web']) {
      if (fs.existsSync(path.join(REPO_ROOT, dir))) walk(path.join(REPO_ROOT, dir));
    }
    expect(offenders).toEqual([]);
  });

  test('settings.ts, which tests and the preload load, imports only types', () => {
    const imports = read('ui-kiosk/electron/settings.ts').match(/^import .*$/gm) ?? [];
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports) expect(line).toMatch(/^import type /);
  });
});
