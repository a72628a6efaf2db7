import { decodeIdCursor, encodeIdCursor, IdCursor } from '../shared/keyset-cursor';

/** Keyset position of `GET /images` and a person's images: newest first by id (the shared id cursor). */
export type ImageCursor = IdCursor;

export const encodeImageCursor: (cursor: ImageCursor) => string = encodeIdCursor;

/** Returns undefined for anything {@link encodeImageCursor} did not produce. */
export const decodeImageCursor: (value: string) => ImageCursor | undefined = decodeIdCursor;
