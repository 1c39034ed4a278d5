/** The terminal's activation as recorded in `<dataDir>/activation.json` (see activation.ts). */
import path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from './json-file.ts';

export const ACTIVATION_FILE = 'activation.json';

export const ActivationRecord = z
  .object({
    coreUrl: z.url(),
    terminalId: z.string(),
    merchantId: z.string(),
    merchantName: z.string(),
    activatedAt: z.string(),
  })
  .strict();
export type ActivationRecord = z.infer<typeof ActivationRecord>;

export class ActivationError extends Error {
  constructor(
    readonly code: 'BAD_CORE_URL' | 'BAD_ACTIVATION_CODE' | 'ACTIVATION_DAMAGED',
    message: string,
  ) {
    super(message);
    this.name = 'ActivationError';
  }
}

export function readActivation(dataDir: string): ActivationRecord | undefined {
  const file = path.join(dataDir, ACTIVATION_FILE);
  let value: unknown;
  try {
    value = readJsonFile(file);
  } catch {
    value = null;
  }
  if (value === undefined) return undefined;
  const parsed = ActivationRecord.safeParse(value);
  if (!parsed.success) {
    throw new ActivationError(
      'ACTIVATION_DAMAGED',
      `${file} is damaged; activate the terminal again with a new code.`,
    );
  }
  return parsed.data;
}
