import { useEffect, useState } from 'react';
import { useAppStores } from '../../app/app-stores';

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
    platform.api.listFolder({}).then(
      ({ places }) => current && setHome(places.find((place) => place.label === 'Home')?.path),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [platform]);
  return home;
}
