/** Deterministic randomness for the simulated provider: request hash → seed → mulberry32 stream. */
import { createHash } from 'node:crypto';

export function hashOf(value: unknown, salt: number | string): Buffer {
  return createHash('sha256').update(String(salt)).update('\0').update(JSON.stringify(value)).digest();
}

/** A uniform number in [0, 1) from the first 4 bytes of a digest. */
export function unitFrom(digest: Buffer, offset = 0): number {
  return digest.readUInt32BE(offset) / 0x1_0000_0000;
}

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

export const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)];
