import { useState } from 'react';

type Permission = NotificationPermission | 'unsupported';

function currentPermission(): Permission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/**
 * In the browser host: whether the page may tell of finished transfers while it is in the background.
 * The browser asks the person itself; a refusal can only be undone in the browser's site settings.
 */
export function NotificationsField() {
  const [permission, setPermission] = useState<Permission>(currentPermission);
  return (
    <div className="field">
      <span id="notifications-label">Notifications</span>
      <p className="hint" id="notifications-state">
        {permission === 'granted' &&
          'On: a transfer that completes or fails while this tab is in the background says so.'}
        {permission === 'default' &&
          'Off. Allow them to hear when a transfer completes or fails while this tab is in the background.'}
        {permission === 'denied' &&
          "Blocked for this page. Allow them in your browser's site settings to turn them on."}
        {permission === 'unsupported' && 'This browser cannot show notifications.'}
      </p>
      {permission === 'default' && (
        <button
          type="button"
          aria-describedby="notifications-state"
          onClick={() => void Notification.requestPermission().then(setPermission)}
        >
          Allow notifications…
        </button>
      )}
    </div>
  );
}
