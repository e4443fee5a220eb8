// Where Temporal is and how to reach it, from the environment only (credentials never come
// from flags, files in the repo, or logs). Without TEMPORAL_ADDRESS the embedded dev server
// on localhost is used.
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConnectionError } from '../core/errors.js';

export const EMBEDDED_ADDRESS = 'localhost:7233';

export interface ConnectionSettings {
  address: string;
  namespace: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
  /** True when TEMPORAL_ADDRESS named the server, false for the embedded dev server. */
  remote: boolean;
}

export function connectionSettings(env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const remote = Boolean(env.TEMPORAL_ADDRESS);
  const settings: ConnectionSettings = {
    address: env.TEMPORAL_ADDRESS || EMBEDDED_ADDRESS,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    remote,
  };
  const cert = env.TEMPORAL_TLS_CERT;
  const key = env.TEMPORAL_TLS_KEY;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConnectionError('set both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (paths to the client certificate and key), or neither');
  }
  if (cert && key) {
    const tls: TLSConfig = { clientCertPair: { crt: readPem(cert, 'TEMPORAL_TLS_CERT'), key: readPem(key, 'TEMPORAL_TLS_KEY') } };
    if (env.TEMPORAL_TLS_CA) tls.serverRootCACertificate = readPem(env.TEMPORAL_TLS_CA, 'TEMPORAL_TLS_CA');
    if (env.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME;
    settings.tls = tls;
  } else if (env.TEMPORAL_TLS === '1' || env.TEMPORAL_TLS === 'true') {
    settings.tls = true;
  }
  if (env.TEMPORAL_API_KEY) {
    settings.apiKey = env.TEMPORAL_API_KEY;
    // API keys are only accepted over TLS (Temporal Cloud); default to system CAs.
    settings.tls ??= true;
  }
  return settings;
}

function readPem(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConnectionError(`cannot read ${variable}=${path}: ${(err as Error).message}`);
  }
}

/** A description safe to print: address, namespace and whether TLS / an API key are used. */
export function describeTarget(settings: ConnectionSettings): string {
  const extras = [settings.tls ? 'TLS' : undefined, settings.apiKey ? 'API key' : undefined].filter(Boolean);
  return `${settings.address} namespace ${settings.namespace}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

export async function connectClient(settings: ConnectionSettings): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey });
    return new Client({ connection, namespace: settings.namespace });
  } catch (err) {
    throw asConnectionError(err, settings);
  }
}

export async function connectWorker(settings: ConnectionSettings): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: settings.address, tls: settings.tls, apiKey: settings.apiKey });
  } catch (err) {
    throw asConnectionError(err, settings);
  }
}

/** A failure to reach the server, as the one line a user needs; anything else unchanged. */
export function asConnectionError(err: unknown, settings: ConnectionSettings): unknown {
  if (err instanceof Error && /UNAVAILABLE|ECONNREFUSED|connect|DEADLINE|TLS|transport/i.test(err.message)) {
    return new ConnectionError(`cannot reach Temporal at ${describeTarget(settings)}: ${err.message.split('\n')[0]}`);
  }
  return err;
}
