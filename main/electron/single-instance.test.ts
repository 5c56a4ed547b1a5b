import { EventEmitter } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useScratchDirectory } from '../../tests/support/transfer.js';
import { existingFiles, OpenedFilesInbox } from '../core/app/opened-files.js';
import { claimSingleInstance, fileArguments } from './single-instance.js';

const scratch = useScratchDirectory('single-instance');

function fakeApp(locked = true) {
  return Object.assign(new EventEmitter(), { requestSingleInstanceLock: vi.fn(() => locked) });
}

async function someFiles() {
  const film = path.join(scratch.path, 'film.mp4');
  const scene = path.join(scratch.path, 'scene.glb');
  const folder = path.join(scratch.path, 'folder');
  await writeFile(film, 'film');
  await writeFile(scene, 'scene');
  await mkdir(folder);
  return { film, scene, folder, missing: path.join(scratch.path, 'missing.txt') };
}

describe('fileArguments', () => {
  it('takes the non-switch arguments, resolved against the working directory', () => {
    expect(fileArguments(['film.mp4', '--enable-logging', '-psn_0_1234', '/abs/scene.glb', ''], '/home/alice')).toEqual(
      ['/home/alice/film.mp4', '/abs/scene.glb'],
    );
  });
});

describe('existingFiles', () => {
  it('keeps absolute paths of existing files, in order and once, and drops folders and missing ones', async () => {
    const { film, scene, folder, missing } = await someFiles();
    expect(await existingFiles([scene, missing, folder, film, scene, 'film.mp4'])).toEqual([scene, film]);
  });
});

describe('claimSingleInstance', () => {
  it('hands this launch’s files to the running app and says to quit when another instance holds the lock', () => {
    const app = fakeApp(false);
    const claimed = claimSingleInstance(app as never, {
      args: ['film.mp4'],
      cwd: '/home/alice',
      inbox: { deliver: vi.fn() },
      onSecondLaunch: vi.fn(),
    });
    expect(claimed).toBe(false);
    expect(app.requestSingleInstanceLock).toHaveBeenCalledWith({ files: ['/home/alice/film.mp4'] });
    expect(app.listenerCount('second-instance')).toBe(0);
  });

  it('passes on its own command line’s existing files', async () => {
    const { film, missing } = await someFiles();
    const deliver = vi.fn();
    claimSingleInstance(fakeApp() as never, {
      args: [film, missing],
      cwd: '/',
      inbox: { deliver },
      onSecondLaunch: vi.fn(),
    });
    await vi.waitFor(() => expect(deliver).toHaveBeenCalledWith([film]));
  });

  it('on a second launch, brings the window forward and pushes only the files that exist', async () => {
    const { film, scene, folder, missing } = await someFiles();
    const app = fakeApp();
    const deliver = vi.fn();
    const onSecondLaunch = vi.fn();
    expect(claimSingleInstance(app as never, { args: [], cwd: '/', inbox: { deliver }, onSecondLaunch })).toBe(true);
    app.emit('second-instance', {}, ['/opt/Slipstream/slipstream', film], '/', {
      files: [film, missing, folder, 'relative.txt', scene],
    });
    expect(onSecondLaunch).toHaveBeenCalledOnce();
    await vi.waitFor(() => expect(deliver).toHaveBeenCalledWith([film, scene]));
    expect(deliver).toHaveBeenCalledOnce();
  });

  it('pushes nothing for a second launch without files, or with data that is not a file list', async () => {
    const app = fakeApp();
    const deliver = vi.fn();
    claimSingleInstance(app as never, { args: [], cwd: '/', inbox: { deliver }, onSecondLaunch: vi.fn() });
    app.emit('second-instance', {}, [], '/', { files: [] });
    app.emit('second-instance', {}, ['/etc/passwd'], '/', { files: '/etc/passwd' });
    app.emit('second-instance', {}, ['/etc/passwd'], '/', undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(deliver).not.toHaveBeenCalled();
  });

  it('takes a file macOS opens with the app (dock, Finder), if it exists', async () => {
    const { film, missing } = await someFiles();
    const app = fakeApp();
    const deliver = vi.fn();
    claimSingleInstance(app as never, { args: [], cwd: '/', inbox: { deliver }, onSecondLaunch: vi.fn() });
    const preventDefault = vi.fn();
    app.emit('open-file', { preventDefault }, missing);
    app.emit('open-file', { preventDefault }, film);
    expect(preventDefault).toHaveBeenCalledTimes(2);
    await vi.waitFor(() => expect(deliver).toHaveBeenCalledWith([film]));
    expect(deliver).toHaveBeenCalledOnce();
  });
});

describe('OpenedFilesInbox', () => {
  it('keeps files until the renderer takes them, each once', () => {
    const push = vi.fn();
    const inbox = new OpenedFilesInbox(push);
    inbox.deliver(['/a', '/b']);
    inbox.deliver(['/b', '/c']);
    expect(inbox.take()).toEqual(['/a', '/b', '/c']);
    expect(inbox.take()).toEqual([]);
    expect(push).not.toHaveBeenCalled();
  });

  it('pushes files arriving together as one event once the renderer listens, and waits again after a reload', async () => {
    const push = vi.fn();
    const inbox = new OpenedFilesInbox(push);
    inbox.take();
    inbox.deliver(['/a']);
    inbox.deliver(['/b']);
    await vi.waitFor(() => expect(push).toHaveBeenCalledExactlyOnceWith(['/a', '/b']));
    inbox.stopListening();
    inbox.deliver(['/c']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(push).toHaveBeenCalledOnce();
    expect(inbox.take()).toEqual(['/c']);
  });
});
