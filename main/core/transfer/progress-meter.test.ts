import { describe, expect, it } from 'vitest';
import { ProgressMeter } from './progress-meter.js';

describe('ProgressMeter', () => {
  it('smooths the rate over samples and estimates the time left', () => {
    let now = 0;
    const meter = new ProgressMeter(() => now, 250, 0.5);
    meter.sample(0);
    now = 1000;
    expect(meter.sample(1000)).toBe(1000);
    now = 2000;
    expect(meter.sample(4000)).toBe(2000);
    expect(meter.etaSeconds(4000, 10_000)).toBe(3);
    now = 2100;
    expect(meter.sample(9000)).toBe(2000);
    meter.reset();
    expect(meter.rate).toBe(0);
    expect(meter.etaSeconds(0, 10)).toBeUndefined();
  });
});
