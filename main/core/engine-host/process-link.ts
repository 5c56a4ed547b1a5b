import type { MessageLink } from '../../../shared/ipc/message-link.js';

/** A child process's IPC channel to its parent (Node's fork) as a MessageLink. */
export function processLink(target: NodeJS.Process = process): MessageLink {
  if (!target.send) throw new Error('this process was not started with an IPC channel (child_process.fork)');
  return {
    send: (message) => void target.send!(message),
    onMessage: (listener) => {
      target.on('message', listener);
      return () => target.off('message', listener);
    },
    onClose: (listener) => {
      target.once('disconnect', listener);
      return () => target.off('disconnect', listener);
    },
  };
}
