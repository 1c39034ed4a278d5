import type { ErrorCode } from '../protocol/wire.ts';

/** An error the core answers with: HTTP status, a code from the protocol, a message for people. */
export class CoreError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

export const unauthenticated = (code: ErrorCode, message: string) => new CoreError(401, code, message);
export const conflict = (message: string) => new CoreError(409, 'CONFLICT', message);
export const notFound = (message: string) => new CoreError(404, 'NOT_FOUND', message);
