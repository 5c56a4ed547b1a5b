import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LedgerGroups } from './ledger-groups.js';

describe('LedgerGroups', () => {
  it('starts with one unit and doubles up to the cap', () => {
    const groups = new LedgerGroups(65536, 8 * 1024 * 1024);
    const size = 100 * 1024 * 1024;
    expect([0, 1, 2, 3, 7, 8].map((group) => groups.length(group, size) / 65536)).toEqual([1, 2, 4, 8, 128, 128]);
    expect(groups.start(0)).toBe(0);
    expect(groups.start(1)).toBe(65536);
    expect(groups.start(7)).toBe(127 * 65536);
    expect(groups.length(7, 127 * 65536 + 10)).toBe(10);
    expect(groups.length(9, 10)).toBe(0);
  });

  it('maps every offset to the group that holds it, for any unit and cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70_000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (unit, multiple, offset) => {
          const groups = new LedgerGroups(unit, unit * multiple);
          const group = groups.groupOf(offset);
          expect(groups.start(group)).toBeLessThanOrEqual(offset);
          expect(groups.start(group + 1)).toBeGreaterThan(offset);
          expect(groups.start(group + 1) - groups.start(group)).toBe(groups.length(group, Number.MAX_SAFE_INTEGER));
          expect(groups.start(group) % unit).toBe(0);
        },
      ),
    );
  });
});
