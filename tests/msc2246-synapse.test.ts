import { describeMsc2246Conformance } from './support/msc2246-conformance.js';
import { ensureStack, registerUser } from './support/stack.js';

/*
 * MSC2246 against Synapse's own media repository, through the nginx of the local stack
 * (`synapseProxyUrl`: Synapse serves media there whatever backend `baseUrl` uses). Where Synapse departs
 * from the MSC, the suite asserts what Synapse does and names the difference.
 */
describeMsc2246Conformance(
  `Synapse's media repository`,
  async () => {
    const stack = await ensureStack();
    return {
      baseUrl: stack.synapseProxyUrl,
      serverName: stack.serverName,
      maxPendingMediaUploads: stack.maxPendingMediaUploads,
      registerUser: () => registerUser(stack),
    };
  },
  {
    implementation: 'Synapse',
    differences: {
      unstablePrefix:
        'it serves only the stable /v1/create and /v3/upload; the fi.mau.msc2246 unstable endpoints answer 404 M_UNRECOGNIZED',
    },
  },
);
