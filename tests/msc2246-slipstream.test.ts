import { describeMsc2246Conformance } from './support/msc2246-conformance.js';
import { ensureStack, registerUser } from './support/stack.js';

/*
 * The same MSC2246 suite against Slipstream's media server, deployed as an admin would: behind the
 * stack's nginx (`baseUrl`), which routes the media paths to it and everything else to Synapse.
 */
describeMsc2246Conformance(
  `Slipstream's media server`,
  async () => {
    const stack = await ensureStack();
    if (stack.mediaBackend !== 'slipstream') {
      throw new Error(`the stack routes media to ${stack.mediaBackend}, not to Slipstream's media server`);
    }
    return {
      baseUrl: stack.baseUrl,
      serverName: stack.serverName,
      maxPendingMediaUploads: stack.maxPendingMediaUploads,
      registerUser: () => registerUser(stack),
    };
  },
  { implementation: 'Slipstream', differences: {} },
);
