import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';

/*
 * `npm run icons`: every icon the installers carry, rendered from build/icon.svg.
 *
 *   build/icons/<N>x<N>.png  Linux (the AppImage's and the deb's hicolor sizes), and what the two below hold
 *   build/icon.icns          macOS
 *   build/icon.ico           Windows, its installer and uninstaller
 *
 * The results are committed. Given only a PNG or the SVG, electron-builder converts them at pack time
 * with a toolset it downloads, and rendering needs sharp's prebuilt libvips for the machine; with the
 * finished files in build/, packing needs neither. tests/electron-builder-config.test.ts renders the
 * SVG again and fails when a committed icon no longer matches it: run `npm run icons` after editing it.
 */

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export const ICON_SOURCE = path.join(repoRoot, 'build/icon.svg');
export const ICON_DIR = path.join(repoRoot, 'build');
/** Every size rendered; each container below takes its own subset. */
export const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024] as const;
export type IconSize = (typeof ICON_SIZES)[number];
export type RenderedIcons = ReadonlyMap<IconSize, Buffer>;

/** The SVG's own canvas: the density that renders it at N pixels is 72 × N / 1024. */
const SOURCE_CANVAS = 1024;

export const pngName = (size: IconSize) => `${size}x${size}.png`;

/**
 * Each size is rendered from the vector at that size rather than scaled down from a large bitmap,
 * so small sizes stay sharp instead of blurred.
 */
export async function renderIcons(svg: Buffer): Promise<RenderedIcons> {
  const rendered = await Promise.all(
    ICON_SIZES.map(async (size) => {
      const png = await sharp(svg, { density: (72 * size) / SOURCE_CANVAS })
        .resize(size, size, { fit: 'fill' })
        .png({ compressionLevel: 9 })
        .toBuffer();
      return [size, png] as const;
    }),
  );
  return new Map(rendered);
}

function pick(icons: RenderedIcons, size: IconSize): Buffer {
  const png = icons.get(size);
  if (!png) throw new Error(`no ${size}×${size} rendering to put in the icon`);
  return png;
}

/**
 * macOS's icon container: 'icns', its length, then entries of a four-letter type, the entry's length
 * and a PNG. The types are the PNG ones of the iconset sizes (16–512 points at 1× and 2×).
 */
const ICNS_ENTRIES: readonly (readonly [type: string, size: IconSize])[] = [
  ['ic11', 32], // 16 pt @2x
  ['ic12', 64], // 32 pt @2x
  ['ic07', 128],
  ['ic13', 256], // 128 pt @2x
  ['ic08', 256],
  ['ic14', 512], // 256 pt @2x
  ['ic09', 512],
  ['ic10', 1024], // 512 pt @2x
];

export function encodeIcns(icons: RenderedIcons): Buffer {
  const entries = ICNS_ENTRIES.map(([type, size]) => {
    const png = pick(icons, size);
    const header = Buffer.alloc(8);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(8 + png.length, 4);
    return Buffer.concat([header, png]);
  });
  const header = Buffer.alloc(8);
  header.write('icns', 0, 'latin1');
  header.writeUInt32BE(8 + entries.reduce((total, entry) => total + entry.length, 0), 4);
  return Buffer.concat([header, ...entries]);
}

/** Windows's sizes: 16–48 for lists and the taskbar, 256 for large views and the installer. */
const ICO_SIZES: readonly IconSize[] = [16, 24, 32, 48, 64, 128, 256];

/**
 * One image of an .ico as a 32-bit DIB: a BITMAPINFOHEADER whose height counts the colour rows and the
 * mask's, BGRA rows bottom-up, then the 1-bit AND mask (set where fully transparent) for renderers that
 * ignore alpha. Windows reads PNG entries only since Vista and some tools (resource editors, NSIS's
 * icon checks) not at all, so only the 256-pixel image, which has no older form, is stored as PNG.
 */
async function dibEntry(png: Buffer, size: number): Promise<Buffer> {
  const rgba = await sharp(png).ensureAlpha().raw().toBuffer();
  const maskRowBytes = Math.ceil(size / 32) * 4;
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8);
  header.writeUInt16LE(1, 12); // planes
  header.writeUInt16LE(32, 14); // bits per pixel
  header.writeUInt32LE(size * size * 4 + maskRowBytes * size, 20);
  const pixels = Buffer.alloc(size * size * 4);
  const mask = Buffer.alloc(maskRowBytes * size);
  for (let row = 0; row < size; row++) {
    const target = size - 1 - row;
    for (let column = 0; column < size; column++) {
      const from = (row * size + column) * 4;
      const to = (target * size + column) * 4;
      pixels[to] = rgba[from + 2]!;
      pixels[to + 1] = rgba[from + 1]!;
      pixels[to + 2] = rgba[from]!;
      pixels[to + 3] = rgba[from + 3]!;
      const maskByte = target * maskRowBytes + (column >> 3);
      if (rgba[from + 3] === 0) mask[maskByte] = mask[maskByte]! | (0x80 >> (column & 7));
    }
  }
  return Buffer.concat([header, pixels, mask]);
}

export async function encodeIco(icons: RenderedIcons): Promise<Buffer> {
  const images = await Promise.all(
    ICO_SIZES.map((size) => (size >= 256 ? pick(icons, size) : dibEntry(pick(icons, size), size))),
  );
  const directory = Buffer.alloc(6 + 16 * images.length);
  directory.writeUInt16LE(0, 0);
  directory.writeUInt16LE(1, 2); // an icon, not a cursor
  directory.writeUInt16LE(images.length, 4);
  let offset = directory.length;
  images.forEach((image, index) => {
    const entry = 6 + 16 * index;
    const size = ICO_SIZES[index]!;
    directory.writeUInt8(size >= 256 ? 0 : size, entry); // 0 means 256
    directory.writeUInt8(size >= 256 ? 0 : size, entry + 1);
    directory.writeUInt16LE(1, entry + 4); // planes
    directory.writeUInt16LE(32, entry + 6); // bits per pixel
    directory.writeUInt32LE(image.length, entry + 8);
    directory.writeUInt32LE(offset, entry + 12);
    offset += image.length;
  });
  return Buffer.concat([directory, ...images]);
}

/** Writes build/icons/, build/icon.icns and build/icon.ico from the SVG. */
export async function makeIcons(source = ICON_SOURCE, outDir = ICON_DIR): Promise<void> {
  const icons = await renderIcons(await readFile(source));
  await mkdir(path.join(outDir, 'icons'), { recursive: true });
  await Promise.all([
    ...[...icons].map(([size, png]) => writeFile(path.join(outDir, 'icons', pngName(size)), png)),
    writeFile(path.join(outDir, 'icon.icns'), encodeIcns(icons)),
    encodeIco(icons).then((ico) => writeFile(path.join(outDir, 'icon.ico'), ico)),
  ]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  makeIcons().then(
    () => console.log(`icons: ${path.relative(repoRoot, ICON_DIR)}/icons/*.png, icon.icns and icon.ico from icon.svg`),
    (error: unknown) => {
      console.error(`icons failed: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
}
