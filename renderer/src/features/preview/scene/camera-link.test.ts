import { describe, expect, it } from 'vitest';
import { CameraLink } from './camera-link';
import type { CameraPose } from './framing';

const pose = (x: number): CameraPose => ({ position: [x, 1, 5], target: [0, 0, 0] });

describe('cameras that move together', () => {
  it('shows a move to every other view, never back to the one that moved', () => {
    const link = new CameraLink();
    const left: CameraPose[] = [];
    const right: CameraPose[] = [];
    const leftMember = link.join((shown) => left.push(shown));
    const rightMember = link.join((shown) => right.push(shown));
    leftMember.moved(pose(1));
    rightMember.moved(pose(2));
    expect(left).toEqual([pose(2)]);
    expect(right).toEqual([pose(1)]);
  });

  it('remembers the last move for a view that opens later, and forgets a view that left', () => {
    const link = new CameraLink();
    expect(link.pose).toBeUndefined();
    const shown: CameraPose[] = [];
    const first = link.join(() => undefined);
    first.moved(pose(3));
    expect(link.pose).toEqual(pose(3));
    const second = link.join((next) => shown.push(next));
    second.leave();
    first.moved(pose(4));
    expect(shown).toEqual([]);
  });
});
