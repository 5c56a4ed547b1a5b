import { invokeNames } from '../../../shared/ipc/contract-kit.js';
import { appContract, type SlipstreamHandlers } from '../../../shared/ipc-contract.js';
import { channelSamples } from '../../../tests/support/contract-samples.js';

/** Handlers for every app channel that answer the channel's sample, record each request, and fail on demand. */
export class SampleHandlers {
  /** The requests each channel's handler received, by channel name. */
  readonly calls = new Map<string, unknown[]>();
  /** Thrown by every handler while set. */
  failWith: Error | undefined;
  readonly handlers: SlipstreamHandlers;

  constructor() {
    const handlers: Record<string, (request: unknown) => unknown> = {};
    for (const name of invokeNames(appContract)) {
      handlers[name] = (request) => {
        this.calls.set(name, [...(this.calls.get(name) ?? []), request]);
        if (this.failWith) throw this.failWith;
        return channelSamples[name].response;
      };
    }
    this.handlers = handlers as unknown as SlipstreamHandlers;
  }

  reset(): void {
    this.calls.clear();
    this.failWith = undefined;
  }
}
