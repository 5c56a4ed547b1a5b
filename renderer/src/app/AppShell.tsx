import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { AboutLine } from '../features/about/AboutLine';
import { DropZone } from '../features/sending/DropZone';
import { FileChooserDialog } from '../features/file-chooser/FileChooserDialog';
import { SignInForm } from '../features/session/SignInForm';
import { useSession } from '../features/session/use-session';
import { SettingsDialog } from '../features/settings/SettingsDialog';
import { useAppStores } from './app-stores';
import { AppHeader } from './AppHeader';
import { ConnectionBanner } from './ConnectionBanner';
import { Workspace } from './Workspace';

/** A file dropped where nothing takes it would make the browser navigate away from the app to show it. */
function useNoStrayDrops() {
  useEffect(() => {
    const refuse = (event: DragEvent) => event.preventDefault();
    window.addEventListener('dragover', refuse);
    window.addEventListener('drop', refuse);
    return () => {
      window.removeEventListener('dragover', refuse);
      window.removeEventListener('drop', refuse);
    };
  }, []);
}

export function AppShell() {
  const { platform } = useAppStores();
  const phase = useSession((state) => state.phase);
  const offline = useStore(platform.connection, (state) => state.phase.kind !== 'connected');
  const [settingsOpen, setSettingsOpen] = useState(false);
  useNoStrayDrops();
  const signedIn = phase === 'signedIn' || phase === 'signingOut';

  return (
    <DropZone enabled={signedIn}>
      <div className={signedIn ? 'app-shell is-workspace' : 'app-shell'}>
        <AppHeader onOpenSettings={() => setSettingsOpen(true)} inert={offline} />
        <ConnectionBanner platform={platform} />
        {signedIn ? (
          <Workspace inert={offline} />
        ) : (
          <main className="workspace signed-out" inert={offline}>
            {phase === 'loading' ? <p role="status">Loading…</p> : <SignInForm />}
          </main>
        )}
        <AboutLine />
      </div>
      {settingsOpen && <SettingsDialog onClose={() => setSettingsOpen(false)} />}
      <FileChooserDialog />
    </DropZone>
  );
}
