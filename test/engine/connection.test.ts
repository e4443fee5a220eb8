// Connection settings come from the environment; what is printed never holds a secret.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectionSettings, describeTarget, EMBEDDED_ADDRESS } from '../../client/connection.js';
import { projectName } from '../../client/project.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

describe('connectionSettings', () => {
  it('defaults to the embedded dev server', () => {
    expect(connectionSettings({})).toEqual({ address: EMBEDDED_ADDRESS, namespace: 'default', remote: false });
  });

  it('reads a remote cluster with an API key, implying TLS, and never prints the key', () => {
    const settings = connectionSettings({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'secret-key',
    });
    expect(settings).toMatchObject({
      address: 'ns.acct.tmprl.cloud:7233',
      namespace: 'ns.acct',
      apiKey: 'secret-key',
      tls: true,
      remote: true,
    });
    expect(describeTarget(settings)).toBe('ns.acct.tmprl.cloud:7233 namespace ns.acct (TLS, API key)');
  });

  it('reads mTLS certificate paths', async () => {
    const dir = await tempDir('sweep-tls');
    await writeFile(join(dir, 'c.pem'), 'CERT');
    await writeFile(join(dir, 'k.pem'), 'KEY');
    const settings = connectionSettings({
      TEMPORAL_ADDRESS: 'h:7233',
      TEMPORAL_TLS_CERT: join(dir, 'c.pem'),
      TEMPORAL_TLS_KEY: join(dir, 'k.pem'),
    });
    expect(settings.tls).toEqual({ clientCertPair: { crt: Buffer.from('CERT'), key: Buffer.from('KEY') } });
  });

  it('names the variable that is wrong', () => {
    expect(() => connectionSettings({ TEMPORAL_TLS_CERT: '/x.pem' })).toThrow(/both TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/);
    expect(() => connectionSettings({ TEMPORAL_TLS_CERT: '/nope/c.pem', TEMPORAL_TLS_KEY: '/nope/k.pem' })).toThrow(
      /TEMPORAL_TLS_CERT=\/nope\/c.pem/,
    );
  });
});

describe('projectName', () => {
  it('gives each store its own stable project, shared by everyone who shares the store; SWEEP_PROJECT names it explicitly', async () => {
    const a = join(await tempDir('checkout-a'), '.sweep');
    const b = join(await tempDir('checkout-b'), '.sweep');
    const first = projectName(a, {});
    expect(first).toMatch(/^checkout-a-\w+-[0-9a-f]{6}$/);
    expect(projectName(a, {})).toBe(first);
    expect(projectName(b, {})).not.toBe(first);
    expect(projectName(a, { SWEEP_PROJECT: 'team-x' })).toBe('team-x');
    expect(() => projectName(a, { SWEEP_PROJECT: 'no/slash' })).toThrow(/SWEEP_PROJECT is "no\/slash"/);
  });
});
