import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { IpcError } from '../../../shared/ipc/ipc-error.js';
import { type FolderAccess, isInside, realPathOf } from './folder-access.js';

/*
 * Which files the renderer may have sent and which folder it may have files saved into. The renderer
 * is untrusted: were it compromised (a crafted message, say), it must not be able to upload ~/.ssh or
 * make a received file land in a folder that runs what it holds at login. The app's own state (keys,
 * session) is never sendable, whatever the policy.
 */
export interface PathPolicy {
  /** The real path of a file the renderer asks to send, or a refusal in words. */
  sendable(path: string): Promise<string>;
  /** Refuses a download folder the person did not choose. */
  assertDownloadFolder(path: string): Promise<void>;
}

/** The browser host: home and the folders given on its command line (FolderAccess), as its chooser lists them. */
export function folderPathPolicy(folders: FolderAccess): PathPolicy {
  return {
    sendable: (path) => folders.check(path),
    assertDownloadFolder: async (path) => void (await folders.check(path)),
  };
}

/** What a granted path may be used for: sending what is in it, or saving received files into it. */
export type PathUse = 'send' | 'save';

/**
 * The desktop app: what the person chose in the system's dialogs, dropped on the window, or opened
 * with the app — main grants those paths as they arrive (a page cannot forge a dropped file's path) —
 * each for its use: files to send, a folder to save into (the default download folder is one). A
 * granted folder grants what is inside it, for the same use only.
 */
export class GrantedPaths implements PathPolicy {
  private readonly granted: Record<PathUse, Set<string>> = { send: new Set(), save: new Set() };
  private forbidden: Promise<string> | undefined;
  /** Grants still resolving: a check waits for every grant made before it (a drop, then its send). */
  private granting: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataDir: string,
    downloadFolder?: string,
  ) {
    if (downloadFolder !== undefined) void this.grant([downloadFolder], 'save');
  }

  grant(paths: readonly string[], use: PathUse): Promise<void> {
    this.granting = this.granting.then(async () => {
      for (const path of paths) this.granted[use].add(await realpath(path).catch(() => resolve(path)));
    });
    return this.granting;
  }

  async sendable(path: string): Promise<string> {
    const real = await realPathOf(path);
    await this.assertAllowed(real, path, 'send');
    return real;
  }

  async assertDownloadFolder(path: string): Promise<void> {
    await this.assertAllowed(await realPathOf(path), path, 'save');
  }

  private async assertAllowed(real: string, given: string, use: PathUse): Promise<void> {
    await this.granting;
    this.forbidden ??= realpath(this.dataDir).catch(() => resolve(this.dataDir));
    if (isInside(await this.forbidden, real)) {
      throw new IpcError(
        'PATH_REFUSED',
        `${given} holds Slipstream's own keys and state, which are never sent or written`,
      );
    }
    if (![...this.granted[use]].some((granted) => isInside(granted, real))) {
      throw new IpcError(
        'PATH_REFUSED',
        use === 'send'
          ? `Slipstream sends only files you chose with it (a file dialog, a drop, or opening them with Slipstream); ${given} was not`
          : `Slipstream saves only into a folder you chose with its folder dialog; ${given} was not`,
      );
    }
  }
}
