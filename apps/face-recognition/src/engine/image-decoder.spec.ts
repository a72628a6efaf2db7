import { describe, expect, it } from 'vitest';
import { fixtureBytes } from '../../../../test/support/fixtures';
import { decodeImage, distinctLines, ImageDecodeError } from './image-decoder';

describe('distinctLines', () => {
  it('keeps each distinct line once, in order, dropping lines an earlier one already contains', () => {
    const libvips = [
      'Input buffer has corrupt header: VipsJpeg: premature end of JPEG image',
      'VipsJpeg: Invalid JPEG file structure: missing SOS marker',
      'VipsJpeg: premature end of JPEG image',
      'VipsJpeg: Invalid JPEG file structure: missing SOS marker',
      '',
    ].join('\n');
    expect(distinctLines(libvips)).toBe(
      'Input buffer has corrupt header: VipsJpeg: premature end of JPEG image; VipsJpeg: Invalid JPEG file structure: missing SOS marker',
    );
  });
});

describe('decodeImage', () => {
  it('refuses a JPEG cut before its first scan as corrupt, naming each libvips complaint once', async () => {
    const error = await decodeImage(await fixtureBytes('truncated_header.jpg'), { maxPixels: 40_000_000 }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).code).toBe('corrupt');
    const message = (error as ImageDecodeError).message;
    expect(message.match(/missing SOS marker/g)).toHaveLength(1);
    expect(message.match(/premature end of JPEG image/g)).toHaveLength(1);
    expect(message).not.toContain('\n');
  });

  it('applies EXIF orientation: the upright size is reported', async () => {
    const decoded = await decodeImage(await fixtureBytes('exif_rotated.jpg'), { maxPixels: 40_000_000 });
    expect([decoded.width, decoded.height]).toEqual([512, 384]);
  });
});

describe('decodeImage: the shared raster allowlist, by the first bytes', () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>';
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
  it.each([
    ['an SVG', Buffer.from(svg), 'unsupported_format'],
    ['an SVG after an XML prolog, a BOM and blank lines', Buffer.from(`\ufeff\n  <?xml version="1.0"?>\n${svg}`), 'unsupported_format'],
    ['a PDF', Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj'), 'unsupported_format'],
    ['a HEIC photo', heic, 'unsupported_format'],
    ['plain text', Buffer.from('MIT License\n\nCopyright (c)'), 'not_an_image'],
    ['a BMP (libvips has no loader in the prebuilt sharp)', Buffer.concat([Buffer.from('BM'), Buffer.alloc(64)]), 'not_an_image'],
  ])('refuses %s as %s before sharp parses it', async (_what, bytes, reason) => {
    const error = await decodeImage(bytes, { maxPixels: 40_000_000 }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).code).toBe(reason);
  });

  it('names the sniffed format of an image it decodes', async () => {
    await expect(decodeImage(await fixtureBytes('astronaut.png'), { maxPixels: 40_000_000 })).resolves.toMatchObject({ format: 'png' });
  });
});
