// logkv/replication: a store replicated through NATS JetStream
// (docs/REPLICATION.md). mirror() publishes a store's writes into a stream;
// follow() keeps a store in another directory that applies them.
export { mirror, type Mirror, type MirrorOptions } from './mirror.js';
export { follow, type Follower, type FollowOptions } from './follower.js';
export type { ConnectionOptions, Lag } from './connection.js';
export type { SnapshotObject } from './snapshot-objects.js';
export type { StartFrom } from './follower-start.js';
