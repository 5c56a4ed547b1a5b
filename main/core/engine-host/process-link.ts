import type { ChildProcess, Serializable } from 'node:child_process';
import type { MessageLink } from '../../../shared/ipc/message-link.js';
import type { EngineProcess } from './engine-host-supervisor.js';

/** A child process's IPC channel to its parent (Node's fork) as a MessageLink. */
export function processLink(target: NodeJS.Process = process): MessageLink {
  if (!target.send) throw new Error('this process was not started with an IPC channel (child_process.fork)');
  return {
    // A message to a parent already gone fails quietly: the 'disconnect' that follows says so.
    send: (message) => void target.send!(message, undefined, undefined, () => undefined),
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

/**
 * The parent's side of a forked child's IPC channel, as an EngineProcess for the supervisor: how tests
 * and the benchmark start the engine host as a Node child where Electron would use a utilityProcess.
 */
export function forkedEngineProcess(child: ChildProcess): EngineProcess {
  return {
    link: {
      // A message to a child already gone fails quietly: its 'exit' says so.
      send: (message) => void child.send(message as Serializable, () => undefined),
      onMessage: (listener) => {
        child.on('message', listener);
        return () => child.off('message', listener);
      },
      onClose: (listener) => {
        child.once('exit', listener);
        return () => child.off('exit', listener);
      },
    },
    onExit: (listener) => child.once('exit', (code) => listener(code)),
    kill: () => child.kill('SIGKILL'),
  };
}
