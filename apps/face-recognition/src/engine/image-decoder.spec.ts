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
