import { useAppStores } from '../../app/app-stores';

/** Which Slipstream this is and where it runs, for bug reports; how keys are kept is in the settings. */
export function AboutLine() {
  const { appInfo } = useAppStores();
  return (
    <footer className="about">
      <p>
        Slipstream {appInfo.version} · {appInfo.host === 'electron' ? 'desktop app' : 'in your browser'}
      </p>
    </footer>
  );
}
