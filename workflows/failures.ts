// Turns the nested failure Temporal reports for a node (child workflow -> activity ->
// application error or timeout) into the one line a user needs, plus the attempt count.
import { ApplicationFailure, TemporalFailure, TimeoutFailure } from '@temporalio/workflow';
import { ARTIFACT_LOST } from '../core/node-io.js';

export interface NodeFailure {
  message: string;
  attempts?: number;
  /** Dependencies whose artifacts the node found gone or damaged (to be computed again). */
  lost?: string[];
}

export function describeFailure(err: unknown): NodeFailure {
  let attempts: number | undefined;
  let lost: string[] | undefined;
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  // The innermost failure says what went wrong; the wrappers only say where.
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) {
      const detail = current.details?.[0] as { attempt?: unknown; lost?: unknown } | undefined;
      if (typeof detail?.attempt === 'number') attempts = detail.attempt;
      if (current.type === ARTIFACT_LOST && Array.isArray(detail?.lost)) lost = detail.lost as string[];
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
  return { message, attempts, lost };
}
