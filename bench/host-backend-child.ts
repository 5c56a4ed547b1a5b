/**
 * `npm run bench:host`, configuration "browser host": the engine in the same process as the host's
 * HTTP side, as the browser host runs it (main/core/browser-host/, opened here the same way but without
 * depending on it: AppBackend, the file secret store, sends restricted to the host's folders). It keeps
 * the responsiveness probe's server (host-child-kit.ts) and pushes every event to the benchmark as the
 * browser host pushes them over its WebSocket: serialised as JSON, one message each.
 *
 *   argv: <dataDir> <folder the sample files are in>
 *   {"type":"sign-in","session":{…}}  → {"type":"signed-in"}                  ("error" instead if it failed)
 *   {"type":"send","path":"…"}        → {"type":"sent","transferId":"…",…}
 *   pushed: {"type":"event","name":"transferUpdated","payload":{…}}
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AppBackend } from '../main/core/app/app-backend.js';
import { FolderAccess, placesFor } from '../main/core/app/folder-access.js';
import { folderPathPolicy } from '../main/core/app/path-policy.js';
import { describeBlockCipher } from '../main/core/codec/block-cipher-choice.js';
import { FileSecretStore } from '../main/core/state/secret-store.js';
import type { StoredSession } from '../shared/ipc-contract.js';
import { report, serveBenchCommands, serveProbe } from './host-child-kit.js';

const [dataDir, sampleFolder] = process.argv.slice(2);
if (!dataDir || !sampleFolder) throw new Error('usage: host-backend-child <dataDir> <sample folder>');
const log = (line: string): void => void process.stderr.write(`browser host (bench): ${line}\n`);

const secretStore = new FileSecretStore(join(dataDir, 'secret.key'));
const folders = await FolderAccess.create(placesFor(homedir(), [sampleFolder]), [dataDir]);
const backend = await AppBackend.open({
  dataDir,
  secretStore,
  platform: { showItemInFolder: async () => undefined, openPath: async () => undefined },
  info: {
    version: '0.1.0',
    host: 'browser',
    versions: { node: process.versions.node },
    platform: process.platform,
    mediaBaseUrl: '/media/transfer/',
    fileChooser: 'host',
    droppedFiles: 'spool',
    secretStorage: secretStore.description,
  },
  defaultDownloadFolder: join(dataDir, 'downloads'),
  folders,
  paths: folderPathPolicy(folders),
  log,
});
backend.addEventSink((name, payload) => report({ type: 'event', name, payload }));
const probe = await serveProbe();

/** Answers a command with `type` when `call` settles: its result's fields, or the error's sentence. */
const answer = (type: string, call: () => unknown): void =>
  void Promise.resolve()
    .then(call)
    .then(
      (result) => report({ type, ...(result as object) }),
      (error: unknown) => report({ type, error: (error as Error).message }),
    );
serveBenchCommands(
  (command) => {
    if (command.type === 'sign-in')
      answer('signed-in', () => backend.handlers.saveSession(command['session'] as StoredSession));
    else if (command.type === 'send') {
      const path = command['path'] as string;
      answer('sent', () => backend.handlers.sendFile({ source: { kind: 'path', path }, format: 'v3' }));
    } else log(`unknown command ${command.type}`);
  },
  () =>
    void (async () => {
      await backend.close();
      await probe.close();
      process.exit(0);
    })(),
);
report({ type: 'ready', probeUrl: probe.url, cipher: describeBlockCipher() });
