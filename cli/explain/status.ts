// What the format's reader says of the stretch holding the byte, in the
// words explain prints on its `status:` line.

import type { Damage } from '../../src/formats/damage.js';
import { refusal } from '../reader-error.js';

export function damageStatus(d: Damage): string {
  return `damaged bytes ${d.offset}..${d.offset + d.length}: ${d.code} ${d.reason}: ${d.message}`;
}

export function headerRefused(e: unknown): string {
  const r = refusal(e);
  return `the reader refuses the header (${r.code} ${r.reason ?? ''}: ${r.message}), so it reads nothing after it`;
}

/** The verdict of a reader that takes a file whole or refuses it (hints, snapshots, IDENTITY). */
export function wholeFileVerdict(read: () => unknown, what: string): { accepted: boolean; status: string } {
  try {
    read();
    return { accepted: true, status: `valid ${what}` };
  } catch (e) {
    const r = refusal(e);
    return { accepted: false, status: `the reader refuses this ${what}: ${r.code} ${r.reason ?? ''}${r.offset === undefined ? '' : ` at byte ${r.offset}`}: ${r.message}` };
  }
}
