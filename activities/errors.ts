/**
 * A problem with the user's input (definition, data file, hyperparameter). Retrying cannot
 * fix it, so the engine fails the node non-retryably with this message, which must name
 * the place and the fix.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
