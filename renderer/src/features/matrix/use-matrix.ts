import { useStore } from 'zustand';
import { useAppStores } from '../../app/app-stores';
import type { MatrixState } from './matrix-store';

export function useMatrix<T>(selector: (state: MatrixState) => T): T {
  return useStore(useAppStores().matrix, selector);
}
