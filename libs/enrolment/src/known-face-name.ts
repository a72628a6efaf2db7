/** Extensions of the formats the recognizer decodes. */
const IMAGE_EXTENSIONS = 'jpe?g|png|webp|gif|tiff?|avif';
const KNOWN_FACE_FILE = new RegExp(`^(.+?)_(\\d+)\\.(${IMAGE_EXTENSIONS})$`, 'i');
const IMAGE_FILE = new RegExp(`^[^.].*\\.(${IMAGE_EXTENSIONS})$`, 'i');

/**
 * `<name>_<n>.<ext>` → the person's name as written, underscores read as spaces:
 * `john_doe_1.jpg` → "john doe", `barack-obama_1.jpg` → "barack-obama", `hannibal_12.png` → "hannibal".
 * Undefined for any other file name.
 */
export function personNameFromFileName(fileName: string): string | undefined {
  const match = KNOWN_FACE_FILE.exec(fileName);
  if (!match) return undefined;
  // Anchored, the lazy name group still extends up to the last `_<n>.`: `a_1_2.jpg` → "a 1".
  return readableName(match[1]);
}

/**
 * A file in a per-person folder, `<person>/<any name>.<ext>` → the folder's name read like a flat file's name
 * (`john_doe/beach.jpg` → "john doe"). Undefined when the file is not an image by its extension.
 */
export function personNameFromFolder(folder: string, fileName: string): string | undefined {
  return IMAGE_FILE.test(fileName) ? readableName(folder) : undefined;
}

function readableName(written: string): string | undefined {
  const name = written.replace(/_+/g, ' ').trim();
  return name === '' ? undefined : name;
}
