import type { MessagePortMain, ParentPort } from 'electron';
import type { MessageLink } from '../../shared/ipc/message-link.js';

/*
 * The channel between main and the engine's utility process: a MessageChannelMain whose second port
 * main hands over in the first message on the process's own parent port. A port of its own, rather
 * than the parent port itself, because a MessagePortMain says when the other side is gone ('close'),
 * which the parent port does not: the engine host stops its transfers cleanly when main disappears.
 * Both ends of the start-up are here, since they must agree; only types come from Electron, so
 * the utility process's bundle loads nothing of it.
 */

/** Names the app's data directory for the engine host, as for the Node child the tests start. */
export const ENGINE_DATA_DIR_VARIABLE = 'SLIPSTREAM_DATA_DIR';

/** The first message main sends on the utility process's parent port, carrying the engine's port. */
export const ENGINE_PORT_HANDSHAKE = 'slipstream:engine-port';

/** One end of the engine's channel as the MessageLink the contracts run over (structured clone). */
export function messagePortLink(port: MessagePortMain): MessageLink {
  return {
    send: (message) => port.postMessage(message),
    onMessage: (listener) => {
      const deliver = (event: { data: unknown }) => listener(event.data);
      port.on('message', deliver);
      // Messages wait in a port until it is started; they are delivered a task later, by when every
      // listener attached in the same turn is in place.
      port.start();
      return () => port.off('message', deliver);
    },
    onClose: (listener) => {
      port.once('close', listener);
      return () => port.off('close', listener);
    },
  };
}

/** In the utility process: the engine's port, from main's first message. */
export function receiveEnginePort(parentPort: Pick<ParentPort, 'once'>): Promise<MessagePortMain> {
  return new Promise((resolve, reject) => {
    parentPort.once('message', (event) => {
      const [port] = event.ports;
      if (event.data !== ENGINE_PORT_HANDSHAKE || !port) {
        reject(new Error('the first message from the main process did not carry the engine port'));
        return;
      }
      resolve(port);
    });
  });
}
