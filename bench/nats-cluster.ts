// A real NATS JetStream cluster for the replication tests and the bench's
// replication phases: nats-server processes on loopback ports the OS hands
// out (so parallel tap runs do not collide), each with its store in a
// temporary folder, removed at stop(). Nodes can be killed (SIGKILL) and
// started again on the same ports and folders. No mock: the tests are only
// worth what the server really does. It lives in bench/ because the build
// compiles bench/ into dist/ and not test/; the tests import it from here.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

/** Why the tests cannot run here, or undefined when nats-server is installed (make test installs it: Makefile, nats-deps). */
export function natsSkipReason(): string | undefined {
  const r = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'nats-server is not installed (make test installs it with apt-get when it runs as root; here it could not)';
  return undefined;
}

interface Node {
  name: string;
  port: number;
  clusterPort: number;
  dir: string;
  process: ChildProcess | undefined;
  log: string;
}

export interface NatsCluster {
  /** Client URLs of every node. */
  servers: string[];
  /** SIGKILLs node `i`. */
  kill(i: number): void;
  /** Starts node `i` again (same ports, same folder) and waits until it listens. */
  restart(i: number): Promise<void>;
  /** Makes a stream taking `subject` with `replicas` replicas, retrying while the cluster elects its leaders. */
  createStream(name: string, subject: string, replicas: number): Promise<void>;
  /** The index of the node that leads `stream` now. */
  leaderOf(stream: string): Promise<number>;
  /** Kills every node and removes the folders. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster of `size` nodes. A port freePort() found free may be
 * taken by another process before nats-server binds it (the tests run two
 * files at once): then the whole cluster starts again on other ports.
 */
export async function startCluster(size = 3): Promise<NatsCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startClusterOnce(size);
    } catch (e) {
      if (attempt >= 5 || !(e instanceof Error && /address already in use/i.test(e.message))) throw e;
    }
  }
}

async function startClusterOnce(size: number): Promise<NatsCluster> {
  const root = mkdtempSync(join(tmpdir(), 'logkv-nats-'));
  const nodes: Node[] = [];
  for (let i = 0; i < size; i++) nodes.push({ name: `n${i}`, port: await freePort(), clusterPort: await freePort(), dir: join(root, `n${i}`), process: undefined, log: '' });
  const launch = async (node: Node): Promise<void> => {
    const args = ['-js', '-sd', node.dir, '-a', '127.0.0.1', '-p', String(node.port), '-n', node.name];
    if (size > 1) {
      const routes = nodes.filter((o) => o !== node).map((o) => `nats://127.0.0.1:${o.clusterPort}`);
      args.push('--cluster_name', 'logkv', '--cluster', `nats://127.0.0.1:${node.clusterPort}`, '--routes', routes.join(','));
    }
    node.log = '';
    const p = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    node.process = p;
    p.stderr!.on('data', (d: Buffer) => (node.log = (node.log + d.toString()).slice(-20_000)));
    for (let waited = 0; !node.log.includes('Server is ready'); waited += 50) {
      if (p.exitCode !== null || waited > 15_000) throw new Error(`nats-server ${node.name} did not start: ${node.log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    for (const n of nodes) n.process?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map(launch));
  } catch (e) {
    await stop();
    throw e;
  }
  const servers = nodes.map((n) => `nats://127.0.0.1:${n.port}`);
  return {
    servers,
    kill: (i) => {
      nodes[i]!.process?.kill('SIGKILL');
      nodes[i]!.process = undefined;
    },
    restart: (i) => launch(nodes[i]!),
    createStream: async (name, subject, replicas) => {
      const nc = await connect({ servers, maxReconnectAttempts: -1 });
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            const jsm = await jetstreamManager(nc, { timeout: 2000 });
            await jsm.streams.add({ name, subjects: [subject], num_replicas: replicas });
            return;
          } catch (e) {
            if (attempt > 60) throw e;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      } finally {
        await nc.close();
      }
    },
    leaderOf: async (stream) => {
      const nc = await connect({ servers, maxReconnectAttempts: -1 });
      try {
        const info = await (await jetstreamManager(nc, { timeout: 5000 })).streams.info(stream);
        const i = nodes.findIndex((n) => n.name === info.cluster?.leader);
        if (i < 0) throw new Error(`stream ${stream} has no leader among ${nodes.map((n) => n.name).join(', ')}`);
        return i;
      } finally {
        await nc.close();
      }
    },
    stop,
  };
}
