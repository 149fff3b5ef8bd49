/**
 * Every failure skein reports is a `SkeinError` with a `code` from {@link ErrorCode}. Callers
 * branch on `code` (or `instanceof` for the few subclasses that carry extra data), the server maps
 * codes to HTTP statuses with {@link httpStatusOf}, and the CLI prints `message` on one line.
 */

/** The closed set of error codes. */
export const ErrorCode = {
  VALIDATION: 'VALIDATION',
  NOT_FOUND: 'NOT_FOUND',
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  THREAD_BUSY: 'THREAD_BUSY',
  ARCHIVED: 'ARCHIVED',
  LEASE_LOST: 'LEASE_LOST',
  FILE_CONFLICT: 'FILE_CONFLICT',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  CLOSED: 'CLOSED',
  NETWORK: 'NETWORK',
  TIMEOUT: 'TIMEOUT',
  SERVER: 'SERVER',
  INTERNAL: 'INTERNAL',
} as const;

/** One of the values of {@link ErrorCode}. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  THREAD_BUSY: 423,
  ARCHIVED: 409,
  LEASE_LOST: 409,
  FILE_CONFLICT: 409,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  PAYLOAD_TOO_LARGE: 413,
  CLOSED: 503,
  NETWORK: 502,
  TIMEOUT: 504,
  SERVER: 500,
  INTERNAL: 500,
};

/** The HTTP status a code is answered with. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** The one error class of skein. `details` carries machine-readable context (field, ids). */
export class SkeinError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SkeinError';
    this.code = code;
    this.details = options?.details;
  }
}

/** Bad input: `field` names the offending path (e.g. `message.toolCalls.0.id`). */
export class ValidationError extends SkeinError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.VALIDATION, field ? `${field}: ${message}` : message, { ...options, details: { field } });
    this.name = 'ValidationError';
    this.field = field;
  }
}

/** A write's `expectedVersion` did not match; `current` is the thread's version now. */
export class VersionConflictError extends SkeinError {
  readonly current: number;
  constructor(threadId: string, expected: number, current: number) {
    super(ErrorCode.VERSION_CONFLICT, `thread ${threadId} is at version ${current}, not ${expected}`, {
      details: { threadId, expected, current },
    });
    this.name = 'VersionConflictError';
    this.current = current;
  }
}

/** Another writer holds the thread (or, without `threadId`, another process holds the database). */
export class ThreadBusyError extends SkeinError {
  constructor(threadId: string | undefined, message = `thread ${threadId} is held by another writer`, options?: { cause?: unknown }) {
    super(ErrorCode.THREAD_BUSY, message, { ...options, ...(threadId !== undefined && { details: { threadId } }) });
    this.name = 'ThreadBusyError';
  }
}

/** The thread is archived: `todo` says what the caller wanted (e.g. `before writing`). */
export function archivedError(threadId: string, todo = 'first'): SkeinError {
  return new SkeinError(ErrorCode.ARCHIVED, `thread ${threadId} is archived: restore it ${todo} (skein restore ${threadId})`, {
    details: { threadId, archived: true },
  });
}

/** A request or value over a size limit. */
export function tooLarge(what: string, limit: number): SkeinError {
  return new SkeinError(ErrorCode.PAYLOAD_TOO_LARGE, `${what} is over ${limit} bytes`, { details: { limit } });
}

/** The thread does not exist (or is not visible to the caller). */
export function notFound(what: string): SkeinError {
  return new SkeinError(ErrorCode.NOT_FOUND, `${what} not found`);
}

/**
 * Turns anything thrown into a `SkeinError`, keeping the original as `cause`. Used once at each
 * boundary (CLI, server) so that callers see one shape.
 */
export function fromUnknown(err: unknown): SkeinError {
  if (err instanceof SkeinError) return err;
  if (err instanceof Error) {
    const sys = (err as NodeJS.ErrnoException).code;
    if (sys === 'ENOENT') return new SkeinError(ErrorCode.NOT_FOUND, err.message, { cause: err });
    if (sys === 'EACCES' || sys === 'EPERM') return new SkeinError(ErrorCode.FORBIDDEN, err.message, { cause: err });
    if (sys === 'ECONNREFUSED' || sys === 'ECONNRESET' || sys === 'EPIPE')
      return new SkeinError(ErrorCode.NETWORK, err.message, { cause: err });
    if (sys === 'ETIMEDOUT') return new SkeinError(ErrorCode.TIMEOUT, err.message, { cause: err });
    if (err.name === 'SqliteError' && /SQLITE_BUSY|database is locked/i.test(err.message))
      return new ThreadBusyError(undefined, `store is busy: ${err.message}`, { cause: err });
    return new SkeinError(ErrorCode.INTERNAL, err.message, { cause: err });
  }
  return new SkeinError(ErrorCode.INTERNAL, String(err), { cause: err });
}
