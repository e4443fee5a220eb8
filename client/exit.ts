// How every command of this package ends: its exit code once stdout has drained, and for a
// failure one line per problem when the user can fix it, the stack trace only for a bug.
import { isUserError } from '../core/errors.js';

/** parseArgs reports unknown options and missing values with these codes. */
const isParseArgsError = (err: unknown) => String((err as { code?: unknown })?.code).startsWith('ERR_PARSE_ARGS');

export function exitWith(outcome: Promise<number>, prefix: string): void {
  outcome.then(exitAfterFlush, (err: unknown) => {
    if (isUserError(err) || isParseArgsError(err)) {
      const messages = (err as { messages?: string[] }).messages ?? [(err as Error).message];
      for (const message of messages) console.error(`${prefix}: ${message}`);
    } else {
      console.error(`${prefix}: unexpected error (a bug; please report it with the lines below)`);
      console.error(err);
    }
    exitAfterFlush(1);
  });
}

// Exit only once stdout has drained: a large `plan --json` into a pipe is otherwise cut short.
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.exit(code));
}
