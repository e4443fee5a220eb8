// Every error a user can fix, in one place. They all extend UserError and are recognised by
// their `code` (a subclass changes `name`; the code survives a child process and a Temporal
// failure unchanged), so the engine fails them non-retryably and the client prints their
// message alone, never a stack trace.

export const USER_ERROR_CODES = ['input', 'definition', 'usage', 'connection', 'server', 'not-found'] as const;
export type UserErrorCode = (typeof USER_ERROR_CODES)[number];

/**
 * A problem with the user's input (definition, data file, hyperparameter, flag, environment).
 * Retrying cannot fix it; its message names the place and the fix.
 */
export class UserError extends Error {
  readonly code: UserErrorCode;

  constructor(message: string, code: UserErrorCode = 'input') {
    super(message);
    this.name = 'UserError';
    this.code = code;
  }
}

/** True for a UserError of this process or one rebuilt from another (by its code). */
export function isUserError(err: unknown): err is UserError {
  return err instanceof Error && (USER_ERROR_CODES as readonly unknown[]).includes((err as { code?: unknown }).code);
}

/** A sweep definition that cannot be used; carries every problem found, one line each. */
export class DefinitionError extends UserError {
  readonly messages: string[];

  constructor(messages: string[]) {
    super(messages.join('\n'), 'definition');
    this.name = 'DefinitionError';
    this.messages = messages;
  }
}

/** A command line the `sweep` command or the worker cannot follow. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 'usage');
    this.name = 'UsageError';
  }
}

/** Temporal cannot be reached, or its connection settings (environment) are unusable. */
export class ConnectionError extends UserError {
  constructor(message: string) {
    super(message, 'connection');
    this.name = 'ConnectionError';
  }
}

/** The embedded Temporal dev server cannot be started or prepared. */
export class ServerError extends UserError {
  constructor(message: string) {
    super(message, 'server');
    this.name = 'ServerError';
  }
}

/** A sweep (or another named thing) the user asked for does not exist. */
export class NotFoundError extends UserError {
  constructor(message: string) {
    super(message, 'not-found');
    this.name = 'NotFoundError';
  }
}
