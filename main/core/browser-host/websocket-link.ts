import type WebSocket from 'ws';
import type { MessageLink } from '../../../shared/ipc/message-link.js';

/** A WebSocket carrying the contract as JSON text frames; anything that is not JSON is dropped. */
export function websocketLink(socket: WebSocket, onMalformed: () => void = () => undefined): MessageLink {
  return {
    send: (message) => {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    },
    onMessage: (listener) => {
      const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
        if (isBinary) return onMalformed();
        let message: unknown;
        try {
          message = JSON.parse(data.toString());
        } catch {
          return onMalformed();
        }
        listener(message);
      };
      socket.on('message', onMessage);
      return () => socket.off('message', onMessage);
    },
    onClose: (listener) => {
      socket.once('close', listener);
      return () => socket.off('close', listener);
    },
  };
}
