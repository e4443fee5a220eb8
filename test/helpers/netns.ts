// Hosts for tests that cross a network: a server namespace and two host namespaces joined
// to it by veth links (addresses inside the sandbox only), plus a link from the test's own
// namespace to the server. A link can be cut and restored like a pulled cable.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

export interface TestHosts {
  /** Namespaces: the server's and the hosts'. */
  server: string;
  hosts: [string, string];
  /** The server's address as seen from the test process and from each host. */
  serverFromTest: string;
  serverFromHost: [string, string];
  cut(host: 0 | 1): void;
  restore(host: 0 | 1): void;
  destroy(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/** Why network namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  const probe = `swprobe${randomInt(1_000_000)}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (err) {
    return `network namespaces are not available here (ip netns add: ${(err as Error).message.split('\n')[0]}); they need root and iproute2`;
  }
}

export function createTestHosts(): TestHosts {
  const id = randomInt(0x1000, 0xffff).toString(16);
  const net = `10.${randomInt(100, 250)}`;
  const server = `sw${id}srv`;
  const hosts: [string, string] = [`sw${id}h0`, `sw${id}h1`];
  const made: string[] = [];
  const link = (inside: string | undefined, a: string, b: string, subnet: string, peer: string) => {
    ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    if (inside) ip('link', 'set', a, 'netns', inside);
    ip('link', 'set', b, 'netns', peer);
    const on = (ns: string | undefined, ...args: string[]) => (ns ? ip('netns', 'exec', ns, 'ip', ...args) : ip(...args));
    on(inside, 'addr', 'add', `${subnet}.1/24`, 'dev', a);
    on(inside, 'link', 'set', a, 'up');
    on(peer, 'addr', 'add', `${subnet}.2/24`, 'dev', b);
    on(peer, 'link', 'set', b, 'up');
  };
  try {
    for (const ns of [server, ...hosts]) {
      ip('netns', 'add', ns);
      made.push(ns);
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    }
    // Test process -> server: the server is .2 there.
    link(undefined, `sw${id}t`, `sw${id}ts`, `${net}.0`, server);
    // Server -> each host: the server is .1, the host .2.
    hosts.forEach((host, i) => link(server, `sw${id}s${i}`, `sw${id}h${i}`, `${net}.${i + 1}`, host));
  } catch (err) {
    for (const ns of made) ip('netns', 'del', ns);
    throw err;
  }
  const setLink = (host: 0 | 1, state: 'up' | 'down') => ip('netns', 'exec', server, 'ip', 'link', 'set', `sw${id}s${host}`, state);
  return {
    server,
    hosts,
    serverFromTest: `${net}.0.2`,
    serverFromHost: [`${net}.1.1`, `${net}.2.1`],
    cut: (host) => setLink(host, 'down'),
    restore: (host) => setLink(host, 'up'),
    destroy: () => {
      for (const ns of [server, ...hosts]) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // Already gone.
        }
      }
    },
  };
}
