/** Wall-clock milliseconds since the epoch; injected so expiry and rate limits can be tested without waiting. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
