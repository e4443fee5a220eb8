// Riding out a Temporal outage: a call that fails because the server cannot be reached is
// retried with backoff for as long as SWEEP_SERVER_WAIT allows (default five minutes), with
// one line when the server goes and one when it is back. The sweep itself lives on the
// server, so nothing is lost while the client waits.
import { ConnectionError } from '../core/errors.js';

const DEFAULT_WAIT_S = 300;
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** How long clients and workers wait for a server that went away: SWEEP_SERVER_WAIT seconds. */
export function serverWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SWEEP_SERVER_WAIT;
  if (raw === undefined || raw === '') return DEFAULT_WAIT_S * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ConnectionError(
      `SWEEP_SERVER_WAIT is "${raw}"; give the seconds to wait for an unreachable Temporal server (default ${DEFAULT_WAIT_S})`,
    );
  }
  return seconds * 1000;
}

/** gRPC UNAVAILABLE (14) and DEADLINE_EXCEEDED (4): the server is away, not the request wrong. */
const UNREACHABLE_CODES = new Set([4, 14]);

/** Whether `err` (or anything in its cause chain) says the server cannot be reached. */
export function isServerUnreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof ConnectionError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number' && UNREACHABLE_CODES.has(code)) return true;
    if (/\b(UNAVAILABLE|ECONNREFUSED|ECONNRESET|tcp connect error)\b/i.test(e.message)) return true;
  }
  return false;
}

export interface OutageOptions {
  /** Where the one-line notices go. */
  notice: (line: string) => void;
  /** Names the server in the notices. */
  target: string;
  waitMs?: number;
}

/** Runs `operation`, retrying it while the server is unreachable, up to the wait allowed. */
export async function rideOutOutage<T>(operation: () => Promise<T>, options: OutageOptions): Promise<T> {
  const waitMs = options.waitMs ?? serverWaitMs();
  let lostAt: number | undefined;
  let delay = FIRST_DELAY_MS;
  for (;;) {
    try {
      const value = await operation();
      if (lostAt !== undefined) options.notice(`Temporal at ${options.target} is back after ${Math.round((Date.now() - lostAt) / 1000)} s`);
      return value;
    } catch (err) {
      if (!isServerUnreachable(err)) throw err;
      const now = Date.now();
      if (lostAt === undefined)
        options.notice(`lost Temporal at ${options.target}; waiting up to ${Math.round(waitMs / 1000)} s for it (SWEEP_SERVER_WAIT)`);
      lostAt ??= now;
      const waited = now - lostAt;
      if (waited >= waitMs) {
        throw new ConnectionError(
          `Temporal at ${options.target} has been unreachable for ${Math.round(waited / 1000)} s; the sweep waits on the server: ` +
            'once it is back, `sweep resume ID` follows it again (set SWEEP_SERVER_WAIT to wait longer)',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, waitMs - waited)));
      delay = Math.min(MAX_DELAY_MS, delay * 2);
    }
  }
}
