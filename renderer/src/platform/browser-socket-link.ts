import type { MessageLink } from '../../../shared/ipc/message-link';

/**
 * The page's side of the browser host's `/ipc` WebSocket: the contract's messages as JSON text frames,
 * the same framing the host's `websocketLink` uses. Anything that is not JSON text is not ours and is
 * dropped; connectContract then ignores what does not match the protocol either.
 */
export function browserSocketLink(socket: WebSocket): MessageLink {
  return {
    send(message) {
      // connectContract turns a throw here into DISCONNECTED for the call that tried.
      if (socket.readyState !== WebSocket.OPEN) throw new Error('the connection to Slipstream is closed');
      socket.send(JSON.stringify(message));
    },
    onMessage(listener) {
      const onMessage = (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        let message: unknown;
        try {
          message = JSON.parse(event.data);
        } catch {
          return;
        }
        listener(message);
      };
      socket.addEventListener('message', onMessage);
      return () => socket.removeEventListener('message', onMessage);
    },
    onClose(listener) {
      socket.addEventListener('close', listener, { once: true });
      return () => socket.removeEventListener('close', listener);
    },
  };
}
