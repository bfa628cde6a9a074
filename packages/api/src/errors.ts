/**
 * The error catalog: one stable code per failure a caller can see, with its HTTP status and whether
 * a retry can help. Callers branch on `code`, never on message text. Every message says what was
 * wrong, where (a JSON path when there is one) and what to do.
 */

export const ERROR_CATALOG = {
  // Requests
  MALFORMED_JSON: { status: 400, retryable: false },
  INVALID_REQUEST: { status: 400, retryable: false },
  MISSING_FIELD: { status: 400, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  NOT_ACCEPTABLE: { status: 406, retryable: false },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  NOT_IMPLEMENTED: { status: 501, retryable: false },
  UNPROCESSABLE: { status: 422, retryable: false },
  CONFLICT: { status: 409, retryable: true },
  UNAUTHORIZED: { status: 401, retryable: false },
  FORBIDDEN: { status: 403, retryable: false },
  TOO_MANY_REQUESTS: { status: 429, retryable: true },
  // Mesos scheduler API
  STREAM_ID_MISSING: { status: 400, retryable: false },
  STREAM_ID_MISMATCH: { status: 400, retryable: false },
  FRAMEWORK_NOT_FOUND: { status: 400, retryable: false },
  FRAMEWORK_NOT_SUBSCRIBED: { status: 403, retryable: true },
  AGENT_NOT_FOUND: { status: 404, retryable: false },
  TASK_NOT_FOUND: { status: 404, retryable: false },
  // Cluster state
  NOT_LEADER: { status: 307, retryable: true },
  NO_LEADER: { status: 503, retryable: true },
  RECOVERING: { status: 503, retryable: true },
  STORE_VERSION_MISMATCH: { status: 409, retryable: true },
  STORE_NODE_EXISTS: { status: 409, retryable: false },
  STORE_NO_NODE: { status: 404, retryable: false },
  STORE_NOT_EMPTY: { status: 409, retryable: false },
  STORE_UNAVAILABLE: { status: 503, retryable: true },
  UPSTREAM_UNAVAILABLE: { status: 502, retryable: true },
  UPSTREAM_TIMEOUT: { status: 504, retryable: true },
  INTERNAL: { status: 500, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** An error with a stable code; `path` names the offending field, `details` carry structured data. */
export class CaravelError extends Error {
  readonly code: ErrorCode;
  readonly path: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: { path?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "CaravelError";
    this.code = code;
    this.path = options.path;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_CATALOG[this.code].retryable;
  }

  toJSON(): { code: ErrorCode; message: string; path?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.path === undefined ? {} : { path: this.path }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as { name?: unknown }).name === "CaravelError" && "code" in value;
  }
}

export const isCaravelError = (value: unknown, code?: ErrorCode): value is CaravelError =>
  value instanceof CaravelError && (code === undefined || value.code === code);

export const statusOf = (code: ErrorCode): number => ERROR_CATALOG[code].status;
