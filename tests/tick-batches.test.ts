// How a tick pass splits the due sessions into batches settled at once (core/tick.splitBatches),
// and how far apart passes start (core/tick.passFloorMs).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { passFloorMs, splitBatches } from '../functions/core/tick';

describe('splitBatches', () => {
  it('keeps every id once, in order, in batches no larger than the batch size, on every lane it can', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 1, max: 8 }), (n, batchSize, lanes) => {
        const ids = Array.from({ length: n }, (_, i) => i);
        const batches = splitBatches(ids, batchSize, lanes);
        expect(batches.flat()).toEqual(ids);
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(batchSize);
        }
        expect(batches.length).toBeGreaterThanOrEqual(Math.min(lanes, n, Math.ceil(n / batchSize) || 0));
        if (n > 0) expect(Math.max(...batches.map((b) => b.length)) - Math.min(...batches.map((b) => b.length))).toBeLessThanOrEqual(Math.ceil(n / batches.length));
      }),
    );
  });

  it('splits 1,000 due sessions on two lanes into two batches of 500, and 2,500 into 1,000s and a rest', () => {
    expect(splitBatches(Array.from({ length: 1000 }, (_, i) => i), 1000, 2).map((b) => b.length)).toEqual([500, 500]);
    expect(splitBatches(Array.from({ length: 2500 }, (_, i) => i), 1000, 2).map((b) => b.length)).toEqual([834, 834, 832]);
    expect(splitBatches([7], 1000, 2)).toEqual([[7]]);
    expect(splitBatches([], 1000, 2)).toEqual([]);
  });
});

describe('passFloorMs', () => {
  it('starts passes twice the last pass apart, between the minimum and 100 ms, and at most half of TICK_MS', () => {
    expect(passFloorMs(3, 1000, 20)).toBe(20); // a light pass: charges within ~20 ms of their boundary
    expect(passFloorMs(30, 1000, 20)).toBe(60); // busy at most half the time
    expect(passFloorMs(80, 1000, 20)).toBe(100); // heavy load: full batches every 100 ms
    expect(passFloorMs(3, 1000, 100)).toBe(100); // TICK_MIN_PASS_MS=100: one pass per 100 ms
    expect(passFloorMs(3, 1000, 500)).toBe(100);
    expect(passFloorMs(0, 1000, 0)).toBe(0);
    expect(passFloorMs(80, 50, 20)).toBe(25); // tests' 50 ms tick
  });
});
