import { useAppStores } from '../../app/app-stores';

/** Which Slipstream this is, where it runs, and how it keeps its keys: for bug reports and the curious. */
export function AboutLine() {
  const { appInfo } = useAppStores();
  const frontEnd = appInfo.host === 'electron' ? 'desktop app (Electron)' : 'in a web browser (browser host)';
  return (
    <footer className="about">
      <p>
        Slipstream {appInfo.version} · {frontEnd} · keys kept with {appInfo.secretStorage}
      </p>
    </footer>
  );
}
