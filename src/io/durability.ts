/**
 * When a write's promise resolves. 'sync': after the fdatasync that makes it
 * durable (concurrent writers share one). 'interval': fsync every few ms,
 * the Redis `everysec` trade. 'none': only on flush, compaction or close.
 */
export type Durability = 'sync' | 'interval' | 'none';

export const DURABILITIES: readonly Durability[] = ['sync', 'interval', 'none'];
