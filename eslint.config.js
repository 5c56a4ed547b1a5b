import { builtinModules } from 'node:module';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/*
 * Slipstream's process layering, enforced the way VS Code enforces common/node/electron-main:
 *
 *   shared/        every process: no Node, no DOM, no Electron
 *   main/core/     plain Node: never Electron
 *   main/electron/ the thin Electron adapter over main/core
 *   preload/       the sandboxed bridge: contextBridge, ipcRenderer and webUtils, and the contract in shared/
 *   renderer/      the React app: browser only
 *   server/        the media server: Node, never Electron
 *   cli/           Node: main/core, server, shared
 *   tests/, bench/, scripts/ and *.test.ts anywhere: Node, never Electron (its binary is not installable here)
 *
 * A file's layer comes from its path alone. Relative imports are matched by the folder names they pass
 * through, so a specifier such as '../../server/x.js' or '../electron/window.js' (from main/core) is caught
 * however deep the importing file sits. `no-restricted-imports` does not look at dynamic `import()`, so
 * the same patterns are applied to literal `import('…')` calls through `no-restricted-syntax`.
 */

/** @typedef {{ regex: string, message: string, allowImportNames?: string[] }} Forbidden */

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `node:*` and every bare builtin name (`fs`, `fs/promises`, `crypto`, …) of the Node running ESLint. */
const NODE_BUILTIN = `^(?:node:.+|(?:${builtinModules.map(escapeRegExp).join('|')})(?:/.*)?)$`;
const ELECTRON = '^electron(?:/.*)?$';
/** A relative specifier that passes through the given folder path, e.g. relativeInto('main/electron'). */
const relativeInto = (folders) => `^\\.{1,2}/(?:.*/)?${folders}(?:/|$)`;

/** @returns {Forbidden} */
const forbid = (regex, message, allowImportNames) => ({
  regex,
  message,
  ...(allowImportNames && { allowImportNames }),
});

/**
 * One layer's import rules. `no-restricted-imports` options are replaced, not merged, when two config
 * objects match the same file, so each layer lists everything it forbids in one place.
 *
 * @param {string[]} files
 * @param {Forbidden[]} forbidden
 */
function layer(files, forbidden) {
  const dynamicImportSelectors = forbidden
    .filter((entry) => !entry.allowImportNames)
    .map((entry) => ({
      // esquery's regex literal ends at the first '/', so slashes are written as \x2F.
      selector: `ImportExpression > Literal.source[value=/${entry.regex.replaceAll('/', '\\x2F')}/]`,
      message: entry.message,
    }));
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: forbidden }],
      'no-restricted-syntax': ['error', ...dynamicImportSelectors],
    },
  };
}

const NODE_GLOBALS = [
  'Buffer',
  'process',
  'require',
  'module',
  'exports',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
  'clearImmediate',
];
const DOM_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'XMLHttpRequest',
  'HTMLElement',
];

const sharedIsEverywhere = 'shared/ is loaded by every process (main, preload, renderer, server, browser host), so it';

export default defineConfig(
  globalIgnores([
    'node_modules/',
    'dist/',
    'out/',
    '.venv/',
    '.stack/',
    '.cache/',
    'coverage/',
    'scratch/',
    'tests/fixtures/',
  ]),

  js.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommended],
    rules: {
      // `const { dropped: _dropped, ...rest } = value` omits a field; `_arg` marks a parameter a signature requires.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { ignoreRestSiblings: true, argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },

  layer(
    ['shared/**'],
    [
      forbid(
        NODE_BUILTIN,
        `${sharedIsEverywhere} may not import Node built-ins; put Node code in main/core/ or server/.`,
      ),
      forbid(
        ELECTRON,
        `${sharedIsEverywhere} may not import Electron; put Electron code in main/electron/ or preload/.`,
      ),
      forbid(
        relativeInto('main'),
        `${sharedIsEverywhere} may not import main/: dependencies point into shared/, never out.`,
      ),
      forbid(
        relativeInto('preload'),
        `${sharedIsEverywhere} may not import preload/: dependencies point into shared/.`,
      ),
      forbid(
        relativeInto('renderer'),
        `${sharedIsEverywhere} may not import renderer/: dependencies point into shared/.`,
      ),
      forbid(relativeInto('server'), `${sharedIsEverywhere} may not import server/: dependencies point into shared/.`),
      forbid(relativeInto('cli'), `${sharedIsEverywhere} may not import cli/: dependencies point into shared/.`),
    ],
  ),
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...NODE_GLOBALS.map((name) => ({
          name,
          message: `${sharedIsEverywhere} may not use the Node global '${name}'; take what you need as a parameter or use a platform-neutral API (Uint8Array, TextEncoder).`,
        })),
        ...DOM_GLOBALS.map((name) => ({
          name,
          message: `${sharedIsEverywhere} may not use the DOM global '${name}'; only the renderer has a DOM.`,
        })),
      ],
    },
  },

  layer(
    ['main/core/**'],
    [
      forbid(
        ELECTRON,
        'main/core/ is plain Node and may not import Electron, so the engine runs and is tested without it; Electron belongs in main/electron/.',
      ),
      forbid(
        relativeInto('electron'),
        'main/core/ may not import main/electron/: the Electron adapter depends on the core, not the other way round.',
      ),
      forbid(
        relativeInto('preload'),
        'main/core/ may not import preload/: the preload runs in the sandboxed renderer process; share types through shared/.',
      ),
      forbid(
        relativeInto('renderer'),
        'main/core/ may not import renderer/: the renderer is a browser app; share types through shared/.',
      ),
      forbid(
        relativeInto('server'),
        'main/core/ may not import server/: the client engine and the media server only share shared/.',
      ),
      forbid(
        relativeInto('cli'),
        'main/core/ may not import cli/: the CLI is a front end over the core, not a dependency of it.',
      ),
    ],
  ),

  layer(
    ['main/electron/**'],
    [
      forbid(
        relativeInto('preload'),
        'main/electron/ may not import preload/: the preload is a separate sandboxed bundle; share the IPC contract through shared/.',
      ),
      forbid(
        relativeInto('renderer'),
        'main/electron/ may not import renderer/: the renderer is a browser app; share types through shared/.',
      ),
      forbid(
        relativeInto('server'),
        'main/electron/ may not import server/: the desktop app talks to the media server over HTTP only.',
      ),
      forbid(
        relativeInto('cli'),
        'main/electron/ may not import cli/: the CLI is a separate front end over main/core/.',
      ),
    ],
  ),

  layer(
    ['preload/**'],
    [
      forbid(
        ELECTRON,
        "preload/ may import only 'contextBridge', 'ipcRenderer' and 'webUtils' from Electron: it exposes one allow-listed API and nothing else.",
        ['contextBridge', 'ipcRenderer', 'webUtils'],
      ),
      forbid(
        NODE_BUILTIN,
        'preload/ runs sandboxed and may not import Node built-ins; do the work in main/ and expose it through the IPC contract.',
      ),
      forbid(
        relativeInto('main'),
        'preload/ may not import main/: it runs in the renderer process; reach the main process through the IPC contract in shared/.',
      ),
      forbid(
        relativeInto('renderer'),
        'preload/ may not import renderer/: the bridge is defined by shared/ipc-contract.ts, not by the app.',
      ),
      forbid(relativeInto('server'), 'preload/ may not import server/: the media server is a separate program.'),
      forbid(relativeInto('cli'), 'preload/ may not import cli/: the CLI is a separate program.'),
    ],
  ),

  layer(
    ['renderer/**'],
    [
      forbid(
        NODE_BUILTIN,
        'renderer/ is a browser app (it also runs outside Electron) and may not import Node built-ins; ask the main process through the IPC contract.',
      ),
      forbid(
        ELECTRON,
        'renderer/ may not import Electron: it is sandboxed and also runs in a plain browser; use the API the preload exposes.',
      ),
      forbid(
        relativeInto('main'),
        'renderer/ may not import main/: that code runs in another process; use the IPC contract in shared/.',
      ),
      forbid(
        relativeInto('preload'),
        'renderer/ may not import preload/: use the API it exposes, typed by shared/ipc-contract.ts.',
      ),
      forbid(
        relativeInto('server'),
        'renderer/ may not import server/: the media server is reached over HTTP, not linked in.',
      ),
      forbid(relativeInto('cli'), 'renderer/ may not import cli/: the CLI is a Node program.'),
    ],
  ),
  {
    files: ['renderer/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...NODE_GLOBALS.map((name) => ({
          name,
          message: `renderer/ is a browser app and may not use the Node global '${name}'.`,
        })),
      ],
    },
  },

  layer(
    ['server/**'],
    [
      forbid(
        ELECTRON,
        'server/ is the media server, a plain Node program deployed without Electron, so it may not import Electron.',
      ),
      forbid(
        relativeInto('main/electron'),
        'server/ may not import main/electron/: the media server never loads the desktop app.',
      ),
      forbid(relativeInto('preload'), 'server/ may not import preload/: the media server never loads the desktop app.'),
      forbid(
        relativeInto('renderer'),
        'server/ may not import renderer/: it is a browser app; share types through shared/.',
      ),
      forbid(
        relativeInto('cli'),
        'server/ may not import cli/: the CLI is a front end over the server, not a dependency of it.',
      ),
    ],
  ),

  layer(
    ['cli/**'],
    [
      forbid(ELECTRON, 'cli/ is a plain Node program and may not import Electron; use main/core/ directly.'),
      forbid(
        relativeInto('main/electron'),
        'cli/ may not import main/electron/: it would pull in Electron; use main/core/ directly.',
      ),
      forbid(relativeInto('preload'), 'cli/ may not import preload/: it belongs to the desktop app.'),
      forbid(relativeInto('renderer'), 'cli/ may not import renderer/: it is a browser app.'),
    ],
  ),

  // Tests run under Vitest in Node, wherever they sit; benches and scripts run in Node. Electron's
  // binary cannot be installed on the test machines, so none of them may import it. Listed last so
  // it replaces the folder rules for test files beside shared/ or renderer/ code.
  layer(
    ['tests/**', 'bench/**', 'scripts/**', '**/*.test.{ts,tsx}'],
    [
      forbid(
        ELECTRON,
        'tests, benches and scripts run in plain Node, where Electron cannot be loaded; test the layer below it.',
      ),
    ],
  ),
  {
    files: ['tests/**', 'bench/**', 'scripts/**', '**/*.test.{ts,tsx}'],
    rules: { 'no-restricted-globals': 'off' },
  },

  prettier,
);
