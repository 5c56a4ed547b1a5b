import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { eventNames, invokeNames } from '../shared/ipc/contract-kit.js';
import { IpcError } from '../shared/ipc/ipc-error.js';
import { connectContract, type MessageLink, serveContract } from '../shared/ipc/message-link.js';
import { type AppChannel, appContract, type SlipstreamApi, type SlipstreamHandlers } from '../shared/ipc-contract.js';
import { websocketLink } from '../main/core/browser-host/websocket-link.js';
import { channelSamples, eventSamples, malformedEvents } from './support/contract-samples.js';

/*
 * The app contract over the two message transports: the MessagePort between Electron's main process
 * and the engine's utility process (structured clone; Node's MessageChannel behaves as Electron's
 * MessagePortMain does), and the browser host's WebSocket (JSON). Electron's ipcMain/preload transport
 * is proven by main/electron's tests with the same samples.
 */

interface Transport {
  readonly server: MessageLink;
  readonly client: MessageLink;
  /** Sends a raw message to the server side, bypassing the client's own checks. */
  sendRaw(message: unknown): void;
  close(): Promise<void>;
}

function portLink(port: import('node:worker_threads').MessagePort): MessageLink {
  return {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => {
      port.on('message', listener);
      return () => port.off('message', listener);
    },
    onClose: (listener) => {
      port.once('close', listener);
      return () => port.off('close', listener);
    },
  };
}

async function messagePortTransport(): Promise<Transport> {
  const { port1, port2 } = new MessageChannel();
  return {
    server: portLink(port1),
    client: portLink(port2),
    sendRaw: (message) => port2.postMessage(message),
    close: async () => {
      port1.close();
      port2.close();
    },
  };
}

async function webSocketTransport(): Promise<Transport> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  await once(client, 'open');
  const [serverSocket] = (await accepted) as [WebSocket];
  return {
    server: websocketLink(serverSocket),
    client: websocketLink(client),
    sendRaw: (message) => client.send(JSON.stringify(message)),
    close: async () => {
      client.close();
      server.close();
    },
  };
}

/** Handlers answering each channel's sample response and recording what arrived. */
function recordingHandlers(calls: Map<string, unknown[]>): SlipstreamHandlers {
  const handlers: Record<string, (request: unknown) => unknown> = {};
  for (const name of invokeNames(appContract)) {
    handlers[name] = (request) => {
      calls.set(name, [...(calls.get(name) ?? []), request]);
      return channelSamples[name].response;
    };
  }
  return handlers as unknown as SlipstreamHandlers;
}

const call = (api: SlipstreamApi, name: AppChannel, request: unknown) =>
  (api[name] as (request: unknown) => Promise<unknown>)(request);

describe.each([
  ['the engine host MessagePort', messagePortTransport],
  ['the browser host WebSocket', webSocketTransport],
])('the app contract over %s', (_name, makeTransport) => {
  let transport: Transport;
  let calls: Map<string, unknown[]>;
  let served: ReturnType<typeof serveContract<typeof appContract>>;
  let api: ReturnType<typeof connectContract<typeof appContract>>;
  let unexpected: unknown[];

  beforeEach(async () => {
    transport = await makeTransport();
    calls = new Map();
    unexpected = [];
    served = serveContract(transport.server, appContract, recordingHandlers(calls), {
      onUnexpected: (_channel, error) => unexpected.push(error),
    });
    api = connectContract(transport.client, appContract);
  });

  afterEach(async () => {
    served.stop();
    api.disconnect();
    await transport.close();
  });

  it('round-trips every channel: the handler gets the request, the caller the answer', async () => {
    for (const name of invokeNames(appContract)) {
      const sample = channelSamples[name];
      expect(await call(api, name, sample.request), name).toEqual(sample.response);
      expect(calls.get(name), name).toEqual([sample.request]);
    }
    expect(calls.size).toBe(invokeNames(appContract).length);
  });

  it('refuses a malformed request in the caller, before it is sent, with a sentence naming the field', async () => {
    for (const name of invokeNames(appContract)) {
      const { malformed } = channelSamples[name];
      const failure = await call(api, name, malformed.request).catch((error: unknown) => error);
      expect(failure, name).toBeInstanceOf(IpcError);
      expect((failure as IpcError).code, name).toBe('INVALID_REQUEST');
      expect((failure as IpcError).message, name).toContain(appContract.invoke[name].channel);
      if (malformed.field) expect((failure as IpcError).message, name).toContain(`"${malformed.field}"`);
    }
    expect(calls.size).toBe(0);
  });

  it('refuses a malformed request that reaches the answering side, without calling the handler', async () => {
    const answers = new Map<number, unknown>();
    const heard = transport.client.onMessage((message) => {
      const { t, id, envelope } = message as { t: string; id: number; envelope: unknown };
      if (t === 'result') answers.set(id, envelope);
    });
    const names = invokeNames(appContract);
    names.forEach((name, index) => {
      transport.sendRaw({ t: 'invoke', id: 1000 + index, name, request: channelSamples[name].malformed.request });
    });
    transport.sendRaw({ t: 'invoke', id: 999, name: 'formatDisk', request: undefined });
    await expect.poll(() => answers.size, { timeout: 5000 }).toBe(names.length + 1);
    heard();
    names.forEach((name, index) => {
      expect(answers.get(1000 + index), name).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    });
    expect(answers.get(999)).toEqual({
      ok: false,
      error: { code: 'UNKNOWN_CHANNEL', message: 'there is no channel called "formatDisk"' },
    });
    expect(calls.size).toBe(0);
  });

  it('delivers every event to its listeners and drops a payload that breaks the contract', async () => {
    const received: [string, unknown][] = [];
    for (const event of eventNames(appContract)) api.on(event, (payload) => received.push([event, payload]));
    for (const event of eventNames(appContract)) {
      expect(() => served.emit(event, malformedEvents[event] as never), event).toThrow(IpcError);
      transport.server.send({ t: 'event', name: event, payload: malformedEvents[event] });
      served.emit(event, eventSamples[event] as never);
    }
    await expect.poll(() => received.length, { timeout: 5000 }).toBe(eventNames(appContract).length);
    expect(received).toEqual(eventNames(appContract).map((event) => [event, eventSamples[event]]));
  });

  it('turns an unexpected failure into INTERNAL with one sentence and no stack trace', async () => {
    served.stop();
    served = serveContract(
      transport.server,
      appContract,
      {
        ...recordingHandlers(calls),
        listTransfers: () => {
          throw new Error('database is locked\n    at Store.read (/app/store.js:10:5)');
        },
      },
      { onUnexpected: (_channel, error) => unexpected.push(error) },
    );
    const failure = (await api.listTransfers().catch((error: unknown) => error)) as IpcError;
    expect(failure.code).toBe('INTERNAL');
    expect(failure.message).toContain('database is locked');
    expect(failure.message).not.toContain(' at ');
    expect(failure.message).not.toContain('/app/store.js');
    expect(unexpected).toHaveLength(1);
  });

  it("keeps a handler's own code and sentence", async () => {
    served.stop();
    served = serveContract(transport.server, appContract, {
      ...recordingHandlers(calls),
      pauseTransfer: () => {
        throw new IpcError('NO_SUCH_TRANSFER', 'there is no transfer Qb3k2m9x1LpZ');
      },
    });
    await expect(api.pauseTransfer({ id: 'Qb3k2m9x1LpZ' })).rejects.toMatchObject({
      code: 'NO_SUCH_TRANSFER',
      message: 'there is no transfer Qb3k2m9x1LpZ',
    });
  });

  it('refuses an answer that breaks the contract as INVALID_RESPONSE', async () => {
    served.stop();
    served = serveContract(
      transport.server,
      appContract,
      { ...recordingHandlers(calls), getSettings: () => ({ downloadFolder: 'nowhere' }) as never },
      { onUnexpected: (_channel, error) => unexpected.push(error) },
    );
    await expect(api.getSettings()).rejects.toMatchObject({ code: 'INVALID_RESPONSE' });
    expect(unexpected).toHaveLength(1);
  });

  it('fails calls still waiting when the connection closes, with DISCONNECTED', async () => {
    served.stop();
    let release: (() => void) | undefined;
    served = serveContract(transport.server, appContract, {
      ...recordingHandlers(calls),
      listTransfers: () => new Promise((resolve) => (release = () => resolve([]))),
    });
    const waiting = api.listTransfers();
    await expect.poll(() => release !== undefined).toBe(true);
    api.disconnect();
    await expect(waiting).rejects.toMatchObject({ code: 'DISCONNECTED' });
    release!();
  });
});
