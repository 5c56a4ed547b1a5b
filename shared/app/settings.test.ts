import { describe, expect, it } from 'vitest';
import {
  applySettingsPatch,
  DEFAULT_COMPATIBLE_FORMAT_MAX_BYTES,
  defaultSettings,
  formatFor,
  settingsPatchSchema,
} from './settings.js';

const MiB = 1024 * 1024;

describe('the format a send uses', () => {
  const settings = defaultSettings('/home/alice/Downloads');

  it('by default sends files a stock homeserver accepts from any client as v2, and larger ones as v3', () => {
    expect(settings.defaultFormat).toBe('auto');
    expect(DEFAULT_COMPATIBLE_FORMAT_MAX_BYTES).toBe(50 * MiB);
    expect(formatFor(settings, 0)).toBe('v2');
    expect(formatFor(settings, 50 * MiB)).toBe('v2');
    expect(formatFor(settings, 50 * MiB + 1)).toBe('v3');
  });

  it("follows a room's own policy over the default", () => {
    const withRoom = applySettingsPatch(settings, { roomFormats: { '!a:example.org': 'v3', '!b:example.org': 'v2' } });
    expect(formatFor(withRoom, 10, '!a:example.org')).toBe('v3');
    expect(formatFor(withRoom, 10 * 1024 * MiB, '!b:example.org')).toBe('v2');
    expect(formatFor(withRoom, 10, '!c:example.org')).toBe('v2');
  });

  it('drops a room back to the default when its policy is set to null', () => {
    const withRoom = applySettingsPatch(settings, { roomFormats: { '!a:example.org': 'v3' } });
    const back = applySettingsPatch(withRoom, { roomFormats: { '!a:example.org': null } });
    expect(back.roomFormats).toEqual({});
  });

  it('changes only what a patch names', () => {
    const patched = applySettingsPatch(settings, { maxConcurrentTransfers: 5 });
    expect(patched).toEqual({ ...settings, maxConcurrentTransfers: 5 });
  });

  it('refuses a patch with an unknown setting or an out-of-range value', () => {
    expect(settingsPatchSchema.safeParse({ colour: 'blue' }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ maxConcurrentTransfers: 0 }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ downloadFolder: 'Downloads' }).success).toBe(false);
    expect(settingsPatchSchema.safeParse({ roomFormats: { general: 'v3' } }).success).toBe(false);
  });
});
