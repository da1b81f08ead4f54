import { expect, test } from 'vitest';
import { percentile, summarize } from '../../src/dev/percentiles.js';

test('nearest-rank percentiles', () => {
  const sample = Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sample, 0.5)).toBe(50);
  expect(percentile(sample, 0.99)).toBe(99);
  expect(percentile(sample, 1)).toBe(100);
  expect(percentile([7], 0.99)).toBe(7);
  expect(percentile([], 0.5)).toBeNaN();
});

test('summarize sorts a copy and reports mean and max', () => {
  const sample = [5, 1, 3];
  expect(summarize(sample)).toEqual({ count: 3, p50: 3, p90: 5, p99: 5, max: 5, mean: 3 });
  expect(sample).toEqual([5, 1, 3]);
});
