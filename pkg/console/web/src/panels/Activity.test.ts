import { describe, expect, it } from 'vitest';
import { pageSizeOf } from './Activity';

describe('pageSizeOf', () => {
  const cases: [string | null, number][] = [
    [null, 50],
    ['5', 5],
    ['500', 500],
    ['501', 50],
    ['0', 50],
    ['2.5', 50],
    ['abc', 50],
  ];
  for (const [v, want] of cases) it(String(v), () => expect(pageSizeOf(v)).toBe(want));
});
