import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH, padDescriptor } from '@visage/domain';
import { decodeDescriptor, encodeDescriptor } from './descriptor-codec';

describe('descriptor codec', () => {
  it('stores DESCRIPTOR_LENGTH little-endian floats and reads them back', () => {
    const descriptor = Float32Array.from({ length: DESCRIPTOR_LENGTH }, (_, index) => Math.sin(index) / 3);
    const blob = encodeDescriptor(descriptor);
    expect(blob).toHaveLength(DESCRIPTOR_LENGTH * 4);
    expect(blob.readFloatLE(4)).toBeCloseTo(Math.sin(1) / 3, 6);
    expect(decodeDescriptor(blob)).toEqual(descriptor);
    expect(() => encodeDescriptor(new Float32Array(128))).toThrow(RangeError);
  });

  it('reads a 128-float row stored before descriptors grew as that descriptor padded with zeros', () => {
    const old = Float32Array.from({ length: 128 }, (_, index) => index / 128);
    const blob = Buffer.alloc(128 * 4);
    old.forEach((value, index) => blob.writeFloatLE(value, index * 4));
    const read = decodeDescriptor(blob);
    expect(read).toHaveLength(DESCRIPTOR_LENGTH);
    expect(read).toEqual(padDescriptor(old));
    expect(read.slice(128).every((value) => value === 0)).toBe(true);
    expect(() => decodeDescriptor(Buffer.alloc(100))).toThrow(/100 bytes/);
  });
});
