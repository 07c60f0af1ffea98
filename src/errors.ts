/**
 * Typed errors thrown by domain services and mapped to HTTP exactly once, in http/middleware/errors.ts.
 * `plainText` marks yagna's few text/plain error bodies (401, query deserialisation).
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly options: { plainText?: boolean; extra?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends AppError {
  constructor(message: string, options?: AppError['options']) {
    super(400, message, options);
  }
}
export class Unauthorized extends AppError {
  constructor(message: string, options?: AppError['options']) {
    super(401, message, options);
  }
}
export class Forbidden extends AppError {
  constructor(message: string) {
    super(403, message);
  }
}
export class NotFound extends AppError {
  constructor(message: string) {
    super(404, message);
  }
}
export class RequestTimeout extends AppError {
  constructor(message: string) {
    super(408, message);
  }
}
export class Conflict extends AppError {
  constructor(message: string) {
    super(409, message);
  }
}
export class Gone extends AppError {
  constructor(message: string) {
    super(410, message);
  }
}
export class PayloadTooLarge extends AppError {
  constructor(message: string) {
    super(413, message);
  }
}
export class ServiceUnavailable extends AppError {
  constructor(message: string) {
    super(503, message);
  }
}
