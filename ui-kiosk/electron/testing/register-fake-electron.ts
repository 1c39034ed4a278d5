/**
 * `node --import tsx --import ./register-fake-electron.ts dist/main.js`: every import of 'electron'
 * gets fake-electron.ts instead (the real package would try to download its binary).
 */
import { register } from 'node:module';

const fake = new URL('./fake-electron.ts', import.meta.url).href;
const hooks = `export async function resolve(specifier, context, next) {
  // Through the rest of the chain, so tsx's loader compiles the fake.
  if (specifier === 'electron') return next(${JSON.stringify(fake)}, context);
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
