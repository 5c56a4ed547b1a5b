import { useEffect, useState } from 'react';
import { useAppStores } from '../../app/app-stores';
import type { Platform } from '../../platform/platform';

/** Asked once per platform: every transfer row shows its folder through it. */
const asked = new WeakMap<Platform, Promise<string | undefined>>();

function homeOf(platform: Platform): Promise<string | undefined> {
  let home = asked.get(platform);
  if (!home) {
    home = platform.api.listFolder({}).then(
      ({ places }) => places.find((place) => place.label === 'Home')?.path,
      () => {
        asked.delete(platform);
        return undefined;
      },
    );
    asked.set(platform, home);
  }
  return home;
}

/**
 * The home folder, as the chooser's places name it, so paths inside it can be shown as ~/…. Undefined
 * until the main side answered, and if it cannot list places: paths are then shown whole, which is
 * only longer, so that failure needs no words of its own.
 */
export function useHomeFolder(): string | undefined {
  const { platform } = useAppStores();
  const [home, setHome] = useState<string>();
  useEffect(() => {
    let current = true;
    void homeOf(platform).then((found) => current && setHome(found));
    return () => {
      current = false;
    };
  }, [platform]);
  return home;
}
