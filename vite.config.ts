import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Builds the renderer only. The Electron main process and the preload are built separately, and the same
// dist/renderer/ is what the browser host serves when the app runs without Electron.
export default defineConfig({
  // Resolved from this file rather than the working directory, so tests and scripts can start Vite from anywhere.
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  // Relative asset URLs, so the bundle works from any origin: the app's custom scheme, the browser host, a file.
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    // outDir is outside `root`, where Vite does not empty it unless told to.
    emptyOutDir: true,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
  },
  preview: {
    host: '127.0.0.1',
  },
});
