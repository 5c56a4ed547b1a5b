import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { describe, expect, it } from 'vitest';

/*
 * The process layering is only real if the lint rules fail on it. Each case lints a snippet as if it sat
 * at a given path in this repository, with the repository's own eslint.config.js, and checks which
 * boundary rule fires and that its message names the layer and the reason.
 */

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const eslint = new ESLint({ cwd: repoRoot });

const BOUNDARY_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax', 'no-restricted-globals']);

interface BoundaryError {
  readonly ruleId: string;
  readonly message: string;
}

/** Lints `code` as the file at `filePath` and returns only the layering errors. */
async function boundaryErrors(filePath: string, code: string): Promise<BoundaryError[]> {
  const absolutePath = path.join(repoRoot, filePath);
  // A snippet that does not parse, or a path ESLint ignores, would report no boundary error and pass
  // the "allowed" cases for the wrong reason.
  expect(await eslint.isPathIgnored(absolutePath), `${filePath} is ignored by eslint.config.js`).toBe(false);
  const [result] = await eslint.lintText(code, { filePath: absolutePath });
  if (!result) throw new Error(`ESLint returned no result for ${filePath}`);
  const fatal = result.messages.filter((message: Linter.LintMessage) => message.fatal);
  expect(fatal, `${filePath} snippet must parse`).toEqual([]);
  return result.messages
    .filter((message) => message.ruleId !== null && BOUNDARY_RULES.has(message.ruleId) && message.severity === 2)
    .map((message) => ({ ruleId: message.ruleId!, message: message.message }));
}

const importOf = (specifier: string) => `import * as imported from '${specifier}';\nexport const used = imported;\n`;

/** Asserts exactly one error from `ruleId` whose message matches every pattern. */
async function expectViolation(filePath: string, code: string, ruleId: string, ...patterns: RegExp[]) {
  const errors = await boundaryErrors(filePath, code);
  expect(errors, `${filePath}: ${code}`).toHaveLength(1);
  expect(errors[0]!.ruleId).toBe(ruleId);
  for (const pattern of patterns) expect(errors[0]!.message).toMatch(pattern);
}

async function expectAllowed(filePath: string, code: string) {
  expect(await boundaryErrors(filePath, code), `${filePath}: ${code}`).toEqual([]);
}

describe('renderer/ is a browser app', () => {
  const file = 'renderer/src/transfer-panel.tsx';

  it.each(['node:fs', 'fs', 'fs/promises', 'node:path', 'crypto'])('may not import the Node built-in %s', (module) =>
    expectViolation(file, importOf(module), 'no-restricted-imports', /renderer\//, /may not import Node built-ins/),
  );

  it('may not import Electron', () =>
    expectViolation(file, importOf('electron'), 'no-restricted-imports', /renderer\/ may not import Electron/));

  it.each([
    ['../../main/core/codec/v3-encryptor.js', /may not import main\//],
    ['../../main/electron/main.js', /may not import main\//],
    ['../../preload/index.js', /may not import preload\//],
    ['../../server/media-server.js', /may not import server\//],
    ['../../cli/slipstream.js', /may not import cli\//],
  ])('may not import %s', (specifier, reason) =>
    expectViolation(file, importOf(specifier), 'no-restricted-imports', /renderer\//, reason),
  );

  it('may not reach Node through a dynamic import() either', () =>
    expectViolation(
      file,
      "export const fs = await import('node:fs');\n",
      'no-restricted-syntax',
      /renderer\/.*may not import Node built-ins/,
    ));

  it('may not use Node globals such as process', () =>
    expectViolation(
      file,
      'export const mode = process.env.NODE_ENV;\n',
      'no-restricted-globals',
      /renderer\/.*Node global 'process'/,
    ));

  it('may import React and shared/', () =>
    expectAllowed(
      file,
      [
        "import { useState } from 'react';",
        "import { createRoot } from 'react-dom/client';",
        "import type { SlipstreamApi } from '../../shared/ipc-contract.js';",
        'export const used: [typeof useState, typeof createRoot, SlipstreamApi | undefined] = [useState, createRoot, undefined];',
        'export const title = document.title;',
      ].join('\n'),
    ));
});

describe('main/core/ is plain Node', () => {
  it.each(['electron', 'electron/main'])('may not import %s', (module) =>
    expectViolation(
      'main/core/transfer-engine.ts',
      importOf(module),
      'no-restricted-imports',
      /main\/core\/ is plain Node and may not import Electron/,
    ),
  );

  it.each([
    ['main/core/transfer-engine.ts', '../electron/main.js'],
    ['main/core/codec/v3-encryptor.ts', '../../electron/main.js'],
    ['main/core/codec/v3-encryptor.ts', '../../../main/electron/main.js'],
  ])('%s may not import the Electron adapter through %s', (file, specifier) =>
    expectViolation(file, importOf(specifier), 'no-restricted-imports', /main\/core\/ may not import main\/electron\//),
  );

  it.each([
    ['../../renderer/src/App.js', /may not import renderer\//],
    ['../../preload/index.js', /may not import preload\//],
    ['../../server/media-server.js', /may not import server\//],
    ['../../cli/slipstream.js', /may not import cli\//],
  ])('may not import %s', (specifier, reason) =>
    expectViolation('main/core/transfer-engine.ts', importOf(specifier), 'no-restricted-imports', reason),
  );

  it('may import Node built-ins, shared/, its own modules and Node packages', () =>
    expectAllowed(
      'main/core/codec/v3-encryptor.ts',
      [
        "import { createReadStream } from 'node:fs';",
        "import { randomBytes } from 'node:crypto';",
        "import { crc32 } from '@node-rs/crc32';",
        "import { MAGIC } from '../../../shared/msc4016/frame.js';",
        "import { sealFrames } from './block-cipher.js';",
        'export const used = [createReadStream, randomBytes, crc32, MAGIC, sealFrames, Buffer.alloc(1), process.pid];',
      ].join('\n'),
    ));
});

describe('shared/ runs in every process', () => {
  const file = 'shared/msc4016/frame.ts';

  it.each(['node:crypto', 'crypto', 'node:fs', 'buffer'])('may not import the Node built-in %s', (module) =>
    expectViolation(file, importOf(module), 'no-restricted-imports', /shared\/.*may not import Node built-ins/),
  );

  it('may not import Electron', () =>
    expectViolation(file, importOf('electron'), 'no-restricted-imports', /shared\/.*may not import Electron/));

  it.each([
    ['../../main/core/codec/base64.js', /may not import main\//],
    ['../../renderer/src/App.js', /may not import renderer\//],
    ['../../server/media-server.js', /may not import server\//],
    ['../../preload/index.js', /may not import preload\//],
  ])('may not import %s: dependencies point into shared/', (specifier, reason) =>
    expectViolation(file, importOf(specifier), 'no-restricted-imports', /shared\//, reason),
  );

  it.each([
    ['Buffer', 'export const bytes = Buffer.from([1]);'],
    ['process', 'export const platform = process.platform;'],
    ['require', "export const fs = require('fs');"],
    ['__dirname', 'export const here = __dirname;'],
  ])('may not use the Node global %s', (name, code) =>
    expectViolation(file, code, 'no-restricted-globals', new RegExp(`shared/.*Node global '${name}'`)),
  );

  it.each([
    ['document', 'export const title = document.title;'],
    ['window', 'export const width = window.innerWidth;'],
    ['localStorage', "export const saved = localStorage.getItem('k');"],
  ])('may not use the DOM global %s', (name, code) =>
    expectViolation(file, code, 'no-restricted-globals', new RegExp(`shared/.*DOM global '${name}'`)),
  );

  it('may import zod and other shared/ modules, and use platform-neutral APIs', () =>
    expectAllowed(
      file,
      [
        "import { z } from 'zod';",
        "import { CodecError } from './codec-error.js';",
        "import { appVersionsSchema } from '../ipc-contract.js';",
        'export const used = [z, CodecError, appVersionsSchema, new Uint8Array(4), new DataView(new ArrayBuffer(4))];',
      ].join('\n'),
    ));

  it('lets tests beside shared/ code use Node, since Vitest runs them in Node', () =>
    expectAllowed(
      'shared/msc4016/frame.test.ts',
      "import { randomBytes } from 'node:crypto';\nexport const used = [randomBytes, Buffer.alloc(1)];\n",
    ));
});

describe('preload/ is the sandboxed bridge', () => {
  const file = 'preload/index.ts';

  it.each([
    ['../main/core/codec/v3-encryptor.js', /preload\/ may not import main\//],
    ['../main/electron/main.js', /preload\/ may not import main\//],
    ['../renderer/src/App.js', /preload\/ may not import renderer\//],
    ['../server/media-server.js', /preload\/ may not import server\//],
  ])('may not import %s', (specifier, reason) =>
    expectViolation(file, importOf(specifier), 'no-restricted-imports', reason),
  );

  it('may take only contextBridge, ipcRenderer and webUtils from Electron', () =>
    expectViolation(
      file,
      "import { contextBridge, shell } from 'electron';\nexport const used = [contextBridge, shell];\n",
      'no-restricted-imports',
      /'shell'/,
      /preload\/ may import only 'contextBridge', 'ipcRenderer' and 'webUtils' from Electron/,
    ));

  it('may not import Node built-ins, which a sandboxed preload cannot load', () =>
    expectViolation(file, importOf('node:fs'), 'no-restricted-imports', /preload\/ runs sandboxed/));

  it('may import contextBridge, ipcRenderer, webUtils and the IPC contract', () =>
    expectAllowed(
      file,
      [
        "import { contextBridge, ipcRenderer, webUtils } from 'electron';",
        "import { appContract } from '../shared/ipc-contract.js';",
        'export const used = [contextBridge, ipcRenderer, webUtils, appContract];',
      ].join('\n'),
    ));
});

describe('main/electron/ is the thin Electron adapter', () => {
  const file = 'main/electron/main.ts';

  it.each([
    ['../../renderer/src/App.js', /main\/electron\/ may not import renderer\//],
    ['../../preload/index.js', /main\/electron\/ may not import preload\//],
    ['../../server/media-server.js', /main\/electron\/ may not import server\//],
  ])('may not import %s', (specifier, reason) =>
    expectViolation(file, importOf(specifier), 'no-restricted-imports', reason),
  );

  it('may import Electron, Node, main/core/ and shared/', () =>
    expectAllowed(
      file,
      [
        "import { app, BrowserWindow } from 'electron';",
        "import path from 'node:path';",
        "import { encryptV3 } from '../core/codec/v3-encryptor.js';",
        "import { invokeChannels } from '../../shared/ipc-contract.js';",
        'export const used = [app, BrowserWindow, path, encryptV3, invokeChannels];',
      ].join('\n'),
    ));
});

describe('server/ is the media server, deployed without Electron', () => {
  const file = 'server/media-server.ts';

  it('may not import Electron', () =>
    expectViolation(file, importOf('electron'), 'no-restricted-imports', /server\/.*may not import Electron/));

  it.each([
    ['../main/electron/main.js', /server\/ may not import main\/electron\//],
    ['../preload/index.js', /server\/ may not import preload\//],
    ['../renderer/src/App.js', /server\/ may not import renderer\//],
  ])('may not import %s', (specifier, reason) =>
    expectViolation(file, importOf(specifier), 'no-restricted-imports', reason),
  );

  it('may import Node built-ins and shared/', () =>
    expectAllowed(
      file,
      [
        "import { createServer } from 'node:http';",
        "import { parseEncryptedFile } from '../shared/msc4016/encrypted-file.js';",
        'export const used = [createServer, parseEncryptedFile, process.env];',
      ].join('\n'),
    ));
});

describe('cli/ is a Node program', () => {
  const file = 'cli/slipstream.ts';

  it.each([
    ['electron', /cli\/ is a plain Node program and may not import Electron/],
    ['../main/electron/main.js', /cli\/ may not import main\/electron\//],
    ['../preload/index.js', /cli\/ may not import preload\//],
    ['../renderer/src/App.js', /cli\/ may not import renderer\//],
  ])('may not import %s', (specifier, reason) =>
    expectViolation(file, importOf(specifier), 'no-restricted-imports', reason),
  );

  it('may import main/core/, server/, shared/ and Node', () =>
    expectAllowed(
      file,
      [
        "import { parseArgs } from 'node:util';",
        "import { encryptV3 } from '../main/core/codec/v3-encryptor.js';",
        "import { startMediaServer } from '../server/media-server.js';",
        "import { parseEncryptedFile } from '../shared/msc4016/encrypted-file.js';",
        'export const used = [parseArgs, encryptV3, startMediaServer, parseEncryptedFile];',
      ].join('\n'),
    ));
});

describe('tests, benches and scripts run in plain Node', () => {
  it.each(['tests/interop.test.ts', 'bench/codec.ts', 'scripts/make-fixtures.ts', 'main/core/codec/v2-codec.test.ts'])(
    '%s may not import Electron',
    (file) => expectViolation(file, importOf('electron'), 'no-restricted-imports', /Electron cannot be loaded/),
  );

  it('may import anything else', () =>
    expectAllowed(
      'tests/interop.test.ts',
      [
        "import { readFile } from 'node:fs/promises';",
        "import { chromium } from 'playwright-core';",
        "import { encryptV3 } from '../main/core/codec/v3-encryptor.js';",
        "import { startMediaServer } from '../server/media-server.js';",
        'export const used = [readFile, chromium, encryptV3, startMediaServer, Buffer];',
      ].join('\n'),
    ));
});
