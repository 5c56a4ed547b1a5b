import { AccountSummary, SignOutButton } from '../features/session/AccountSummary';
import { Brand } from '../components/Brand';

interface AppHeaderProps {
  readonly onOpenSettings: () => void;
  /** While the main side cannot be reached: nothing here would work. */
  readonly inert: boolean;
}

export function AppHeader({ onOpenSettings, inert }: AppHeaderProps) {
  return (
    <header className="app-header">
      <Brand />
      <AccountSummary />
      <div className="header-actions" inert={inert}>
        <SignOutButton />
        <button type="button" onClick={onOpenSettings}>
          Settings
        </button>
      </div>
    </header>
  );
}
