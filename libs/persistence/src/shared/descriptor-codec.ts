import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, DescriptorRecipe, isDescriptorRecipe, padDescriptor } from '@visage/domain';

/**
 * Injection token of the configured recipe (FACE_DESCRIPTOR_RECIPE): the only one whose descriptors the
 * repositories hand out for comparison (gallery, re-match, review checks, grouping). Rows of another recipe wait for
 * the re-description job.
 */
export const CONFIGURED_DESCRIPTOR_RECIPE = Symbol('CONFIGURED_DESCRIPTOR_RECIPE');
/** Where a repository is built without Nest (tools, tests): the configuration's default. */
export const UNCONFIGURED_DESCRIPTOR_RECIPE: DescriptorRecipe = DEFAULT_DESCRIPTOR_RECIPE;

/**
 * How descriptors are stored, in one place: float32, little-endian whatever the host, in a `descriptor` blob beside a
 * `descriptor_recipe` column (faces, person_images, gallery_changes) saying how they were computed. Written at
 * {@link DESCRIPTOR_LENGTH} (2,048 bytes); rows written when descriptors were 128 floats (512 bytes) read back padded
 * with zeros, which is what their recipes' descriptors are now.
 */
export function encodeDescriptor(descriptor: Float32Array): Buffer {
  if (descriptor.length !== DESCRIPTOR_LENGTH) throw new RangeError(`descriptor has ${descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
  const buffer = Buffer.alloc(DESCRIPTOR_LENGTH * 4);
  descriptor.forEach((value, index) => buffer.writeFloatLE(value, index * 4));
  return buffer;
}

const LEGACY_STORED_LENGTH = 128;

export function decodeDescriptor(blob: Buffer): Float32Array {
  if (blob.length !== DESCRIPTOR_LENGTH * 4 && blob.length !== LEGACY_STORED_LENGTH * 4) {
    throw new RangeError(`descriptor blob has ${blob.length} bytes, expected ${DESCRIPTOR_LENGTH * 4} (or ${LEGACY_STORED_LENGTH * 4} from before)`);
  }
  const stored = new Float32Array(blob.length / 4);
  for (let index = 0; index < stored.length; index++) stored[index] = blob.readFloatLE(index * 4);
  return padDescriptor(stored);
}

/** A stored `descriptor_recipe`, checked: a value this version does not know is a corrupt row, not a recipe to guess. */
export function decodeRecipe(value: string): DescriptorRecipe {
  if (!isDescriptorRecipe(value)) throw new RangeError(`unknown descriptor recipe ${JSON.stringify(value)}`);
  return value;
}
