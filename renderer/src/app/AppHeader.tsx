import { AccountSummary, SignOutButton } from '../features/session/AccountSummary';

interface AppHeaderProps {
  readonly onOpenSettings: () => void;
  /** While the main side cannot be reached: nothing here would work. */
  readonly inert: boolean;
}

export function AppHeader({ onOpenSettings, inert }: AppHeaderProps) {
  return (
    <header className="app-header">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ⇶
        </span>
        <h1>Slipstream</h1>
      </div>
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
