import { describe, expect, it } from 'vitest';
import { exchange } from '../../tests/support/open-request.js';
import { auth, TOKENS, useTestServer } from '../testing/harness.js';

/*
 * Failed authentications are limited per client address (docs/PROTOCOL.md §4.4), so junk tokens cost
 * the homeserver a bounded number of whoami calls, and they never push valid tokens out of the cache.
 * The fake homeserver counts whoami calls exactly. Each test connects from loopback addresses of its
 * own (all of 127.0.0.0/8 is local), so the limits it runs into are its own.
 */

const BURST = 5;
const server = useTestServer({
  // 127.0.0.2 plays the reverse proxy; 127.0.0.1 and the others are clients connecting directly.
  trustedProxies: ['127.0.0.2'],
  auth: { failureBurst: BURST, failuresPerSecond: 0.01, cacheSize: 4, rejectedCacheSize: 8 },
});
const whoamiCalls = (): number => server.homeserver().whoamiCalls;

const configUrl = (): string => `${server.current().url}/_matrix/client/v1/media/config`;
const junk = (label: string, count: number): string[] => Array.from({ length: count }, (_, i) => `junk-${label}-${i}`);

function ask(token: string, localAddress: string, forwardedFor?: string) {
  return exchange(configUrl(), {
    method: 'GET',
    localAddress,
    headers: { ...auth(token), ...(forwardedFor !== undefined && { 'X-Forwarded-For': forwardedFor }) },
  });
}

describe('failed authentication, limited per client address', () => {
  // First in the file, while alice's token is not cached yet.
  it('requests arriving together with one new valid token share one check and are all served', async () => {
    const before = whoamiCalls();
    const answers = await Promise.all(Array.from({ length: 4 * BURST }, () => ask(TOKENS.alice, '127.0.1.9')));
    expect(answers.map((answer) => answer.status)).toEqual(Array.from({ length: 4 * BURST }, () => 200));
    expect(whoamiCalls() - before).toBe(1);
  });

  it('junk tokens are limited with M_LIMIT_EXCEEDED after the burst, asking the homeserver only that often', async () => {
    const address = '127.0.1.1';
    const before = whoamiCalls();
    const answers = await Promise.all(junk('burst', 40).map((token) => ask(token, address)));
    const unknown = answers.filter((answer) => answer.status === 401);
    const limited = answers.filter((answer) => answer.status === 429);
    expect(unknown.length).toBe(BURST);
    expect(limited.length).toBe(40 - BURST);
    expect(whoamiCalls() - before).toBe(BURST);
    for (const answer of limited) {
      expect(answer.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(answer.json?.retry_after_ms).toBeGreaterThan(0);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    // A token the homeserver already rejected is limited too, without asking it again.
    expect((await ask(junk('burst', 1)[0]!, address)).status).toBe(429);
    expect(whoamiCalls() - before).toBe(BURST);
  });

  it('a valid token in use from that address is still served while its junk is limited', async () => {
    const address = '127.0.1.2';
    expect((await ask(TOKENS.alice, address)).status).toBe(200);
    await Promise.all(junk('beside-alice', BURST + 3).map((token) => ask(token, address)));
    expect((await ask(junk('beside-alice-more', 1)[0]!, address)).status).toBe(429);
    const before = whoamiCalls();
    expect((await ask(TOKENS.alice, address)).status).toBe(200);
    expect(whoamiCalls()).toBe(before);
    // Another address is not limited by this one's failures.
    expect((await ask(junk('elsewhere', 1)[0]!, '127.0.1.3')).status).toBe(401);
  });

  it('rejected tokens never push valid ones out of the token cache', async () => {
    const address = '127.0.1.4';
    expect((await ask(TOKENS.bob, address)).status).toBe(200);
    // More rejected tokens than either cache holds, each from an address of its own so none is limited.
    const tokens = junk('flood', 30);
    await Promise.all(tokens.map((token, i) => ask(token, `127.0.2.${i + 1}`)));
    const before = whoamiCalls();
    expect((await ask(TOKENS.bob, address)).status).toBe(200);
    expect(whoamiCalls()).toBe(before);
  });

  it('believes X-Forwarded-For only from the trusted proxy, and only the entry the proxy appended', async () => {
    // A client connecting directly cannot spread its failures over addresses it makes up.
    const spoofed = await Promise.all(
      junk('spoof', BURST + 2).map((token, i) => ask(token, '127.0.1.5', `198.51.100.${i + 1}`)),
    );
    expect(spoofed.filter((answer) => answer.status === 429).length).toBe(2);

    // Through the proxy, each client is counted under the address the proxy saw: the last entry.
    const proxied = await Promise.all(
      junk('proxied', BURST + 2).map((token, i) => ask(token, '127.0.0.2', `203.0.113.${i + 1}`)),
    );
    expect(proxied.every((answer) => answer.status === 401)).toBe(true);
    const oneClient = await Promise.all(
      junk('one-client', BURST + 2).map((token, i) => ask(token, '127.0.0.2', `10.0.0.${i + 1}, 192.0.2.7`)),
    );
    expect(oneClient.filter((answer) => answer.status === 429).length).toBe(2);
  });
});
