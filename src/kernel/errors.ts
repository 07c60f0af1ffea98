/**
 * Domain errors: what went wrong, as a kind, never as an HTTP status. Domains throw these; the HTTP layer maps each
 * kind to a status and to its face's wire style in one table (src/http/errors.ts). `details` are extra fields a face
 * may show beside the message.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'paymentRequired'
  | 'forbidden'
  | 'notFound'
  | 'timeout'
  | 'conflict'
  | 'gone'
  | 'tooLarge'
  | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input is malformed or breaks a rule of the operation. */
export class Invalid extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('invalid', message, details);
  }
}
/** No (valid) identity was presented. */
export class Unauthenticated extends DomainError {
  constructor(message: string) {
    super('unauthenticated', message);
  }
}
/** The operation needs a purchase the caller has not made. */
export class PaymentRequired extends DomainError {
  constructor(message: string) {
    super('paymentRequired', message);
  }
}
/** The identity is known but may not do this. */
export class Forbidden extends DomainError {
  constructor(message: string) {
    super('forbidden', message);
  }
}
/** No such object, or not one the caller may see (the two look the same). */
export class NotFound extends DomainError {
  constructor(message: string) {
    super('notFound', message);
  }
}
/** A wait ended without the awaited event. */
export class TimedOut extends DomainError {
  constructor(message: string) {
    super('timeout', message);
  }
}
/** The object's current state does not allow the operation. */
export class Conflict extends DomainError {
  constructor(message: string) {
    super('conflict', message);
  }
}
/** The object existed but has ended. */
export class Gone extends DomainError {
  constructor(message: string) {
    super('gone', message);
  }
}
/** The input is larger than a configured limit. */
export class TooLarge extends DomainError {
  constructor(message: string) {
    super('tooLarge', message);
  }
}
/** A dependency (the data store) cannot be reached right now. */
export class Unavailable extends DomainError {
  constructor(message: string) {
    super('unavailable', message);
  }
}
