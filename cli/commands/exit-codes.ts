// kvtool's exit codes (README.md lists them).
export const EXIT = {
  /** Clean (verify), or dumped (dump). */
  OK: 0,
  /** verify found problems; dump was given a file that is not ours. */
  PROBLEMS: 1,
  /** Bad arguments, or a path that cannot be read. */
  USAGE_OR_IO: 2,
  /** kvtool itself failed: a bug, reported with its stack. */
  INTERNAL: 3,
} as const;
