import { createStore, type StoreApi } from 'zustand/vanilla';
import type { FolderEntry, FolderListing, SlipstreamApi } from '../../../../shared/ipc-contract';
import { messageOf } from '../../text/error-message';

/** Files to send, or one folder (where downloads go). */
export type ChooserMode = 'files' | 'folder';

export interface ChooserRequest {
  readonly mode: ChooserMode;
  readonly title: string;
}

export interface ChooserState {
  /** The chooser is open while this is set. */
  readonly request: ChooserRequest | null;
  readonly listing: FolderListing | null;
  readonly loading: boolean;
  readonly error: string | null;
  /** Chosen files, in the order they were ticked (files mode). */
  readonly selected: readonly FolderEntry[];
  /** Opens the chooser; resolves with the chosen paths, or null when cancelled. */
  choose(mode: ChooserMode, title: string, startAt?: string): Promise<string[] | null>;
  /** Lists a folder, or the starting places when `path` is left out. */
  browse(path?: string): Promise<void>;
  toggle(entry: FolderEntry): void;
  /** Closes with the selection (files) or the folder being shown (folder). */
  confirm(): void;
  cancel(): void;
}

export type ChooserStore = StoreApi<ChooserState>;

/**
 * The app's own file chooser, for the browser host: a browser gives a page no paths, so the page lists
 * the host's folders through the contract (listFolder), within home and the folders the host was given.
 * One chooser at a time; `choose` is a promise so callers read like they would with a native dialog.
 */
export function createChooserStore(api: SlipstreamApi): ChooserStore {
  let resolveChoice: ((paths: string[] | null) => void) | undefined;
  let browsing = 0;

  const close = (paths: string[] | null) => {
    const resolve = resolveChoice;
    resolveChoice = undefined;
    store.setState({ request: null, listing: null, selected: [], error: null, loading: false });
    resolve?.(paths);
  };

  const store = createStore<ChooserState>((set, get) => ({
    request: null,
    listing: null,
    loading: false,
    error: null,
    selected: [],

    async choose(mode, title, startAt) {
      resolveChoice?.(null);
      const choice = new Promise<string[] | null>((resolve) => (resolveChoice = resolve));
      set({ request: { mode, title }, listing: null, selected: [], error: null });
      await get().browse(startAt);
      const { listing, error } = get();
      // Start inside the first place (home) rather than on the list of places, as system dialogs do.
      if (listing?.path === null && listing.places[0]) await get().browse(listing.places[0].path);
      else if (startAt !== undefined && error) await get().browse();
      return choice;
    },

    async browse(path) {
      const ticket = ++browsing;
      set({ loading: true, error: null });
      try {
        const listing = await api.listFolder(path === undefined ? {} : { path });
        if (ticket === browsing && get().request) set({ listing, loading: false });
      } catch (error) {
        if (ticket === browsing) set({ error: messageOf(error), loading: false });
      }
    },

    toggle(entry) {
      if (entry.kind !== 'file') return;
      set((state) => ({
        selected: state.selected.some((chosen) => chosen.path === entry.path)
          ? state.selected.filter((chosen) => chosen.path !== entry.path)
          : [...state.selected, entry],
      }));
    },

    confirm() {
      const { request, selected, listing } = get();
      if (!request) return;
      if (request.mode === 'files') {
        if (selected.length > 0) close(selected.map((entry) => entry.path));
      } else if (listing?.path) {
        close([listing.path]);
      }
    },

    cancel() {
      close(null);
    },
  }));
  return store;
}
