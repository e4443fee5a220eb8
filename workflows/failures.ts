// Turns the nested failure Temporal reports for a node (child workflow -> activity ->
// application error or timeout) into the one line a user needs, plus the attempt count.
import { ApplicationFailure, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';

export interface NodeFailure {
  message: string;
  attempts?: number;
}

export function describeFailure(err: unknown): NodeFailure {
  let attempts: number | undefined;
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  // The innermost failure says what went wrong; the wrappers only say where.
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) {
      const detail = current.details?.[0] as { attempt?: unknown } | undefined;
      if (typeof detail?.attempt === 'number') attempts = detail.attempt;
      // A UserError's message is written for the user; other types name a bug or an outage.
      const typed = current.type && current.type !== 'Error' && current.type !== 'UserError';
      message = typed ? `${current.type}: ${current.message}` : current.message;
    } else if (current instanceof TimeoutFailure) {
      message = `timed out (${String(current.timeoutType ?? 'unknown')
        .toLowerCase()
        .replace(/_/g, ' ')}): no heartbeat or result in time; the worker may have died`;
    } else if (!(current instanceof TemporalFailure)) {
      message = current.message;
    }
    current = current.cause;
  }
  return { message, attempts };
}
