import { UserError } from '../activities/errors.js';

/** A sweep definition that cannot be used; carries every problem found, one line each. */
export class DefinitionError extends UserError {
  readonly messages: string[];

  constructor(messages: string[]) {
    super(messages.join('\n'));
    this.name = 'DefinitionError';
    this.messages = messages;
  }
}
