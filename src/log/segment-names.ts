// Segment files are named by their base offset, zero-padded to 20 digits
// (Kafka style), so a directory listing shows them in offset order. The log
// cleaner's output for a group of segments keeps the group's base offset and
// adds its run number (`00000000000000000000-3.log`), so it never collides
// with the file it replaces: the manifest switches from one to the other in
// one step. A segment's hint has the same stem with `.hint`, its index
// (formats/segment_index.ksy) with `.index`.

import { join } from 'node:path';

const NAME = /^(\d{20})(?:-(\d{1,15}))?\.log$/;

export interface SegmentName {
  /** File name without extension; the hint is `${stem}.hint`. */
  stem: string;
  baseOffset: number;
  /** 0 for a segment the appender created, the cleaner run number otherwise. */
  generation: number;
}

export function segmentStem(baseOffset: number, generation = 0): string {
  const base = String(baseOffset).padStart(20, '0');
  return generation === 0 ? base : `${base}-${generation}`;
}

export function parseSegmentFileName(fileName: string): SegmentName | undefined {
  const m = NAME.exec(fileName);
  if (!m) return undefined;
  return { stem: fileName.slice(0, -'.log'.length), baseOffset: Number(m[1]), generation: m[2] === undefined ? 0 : Number(m[2]) };
}

/** Segment names in log order: by base offset (a cleaner output and the segments after it never share one). */
export function sortSegmentNames(names: SegmentName[]): SegmentName[] {
  return names.sort((a, b) => a.baseOffset - b.baseOffset || a.generation - b.generation);
}

/** The segments among the file names of a directory, in log order. */
export function segmentNamesIn(fileNames: readonly string[]): SegmentName[] {
  return sortSegmentNames(fileNames.map(parseSegmentFileName).filter((n): n is SegmentName => n !== undefined));
}

export function segmentPath(dir: string, stem: string): string {
  return join(dir, `${stem}.log`);
}

export function hintPath(dir: string, stem: string): string {
  return join(dir, `${stem}.hint`);
}

export function indexPath(dir: string, stem: string): string {
  return join(dir, `${stem}.index`);
}

/** The files made from a segment (hint, index): wherever the segment goes, they go, or are removed. */
export function derivedPaths(dir: string, stem: string): string[] {
  return [hintPath(dir, stem), indexPath(dir, stem)];
}

/** A segment file and the files made from it. */
export function segmentFilePaths(dir: string, stem: string): string[] {
  return [segmentPath(dir, stem), ...derivedPaths(dir, stem)];
}
