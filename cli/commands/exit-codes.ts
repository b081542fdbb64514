// kvtool's exit codes (README.md lists them).
export const EXIT = {
  /** Clean (verify), done (the other commands). */
  OK: 0,
  /** verify found problems; a key is absent (get); a repair was declined; the store is damaged. */
  PROBLEMS: 1,
  /** Bad arguments, or a path that cannot be read or written. */
  USAGE_OR_IO: 2,
  /** kvtool itself failed: a bug. */
  INTERNAL: 3,
  /** A write command found the store's lock held by another process (or by this one). */
  LOCKED: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
