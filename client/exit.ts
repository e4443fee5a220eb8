// How every command of this package ends: its exit code once stdout has drained, and for a
// failure one line per problem when the user can fix it, the stack trace only for a bug. A
// command line the command cannot follow exits with 2 (the shell convention for usage
// errors), any other mistake of the user with 1.
import { isUserError } from '../core/errors.js';

export function exitWith(outcome: Promise<number>, prefix: string): void {
  outcome.then(exitAfterFlush, (err: unknown) => {
    if (isUserError(err)) {
      const messages = (err as { messages?: string[] }).messages ?? [err.message];
      for (const message of messages) console.error(`${prefix}: ${message}`);
      exitAfterFlush(err.code === 'usage' ? 2 : 1);
      return;
    }
    console.error(`${prefix}: unexpected error (a bug; please report it with the lines below)`);
    console.error(err);
    exitAfterFlush(1);
  });
}

// Exit only once stdout has drained: a large `plan --json` into a pipe is otherwise cut short.
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
