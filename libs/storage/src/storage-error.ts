import { CodedError } from '@visage/domain';

/**
 * The one list of libs/storage's error codes, by the rule that raises them. `empty_file` is in both: an empty file
 * is refused alike whether a client names it by path or uploads it.
 */
export const STORAGE_ERROR_CODES = {
  /** An image path's rules: its text (`checkImagePathText`), then the disk (`resolveImagePath`); `ImagePathError`. */
  imagePath: ['path_required', 'path_not_string', 'path_invalid', 'outside_root', 'not_found', 'not_a_file', 'too_large', 'empty_file'],
  /** An upload's (`storeUpload`): what the bytes hold, or the client going away; `UploadError`. */
  upload: ['file_too_large', 'empty_file', 'unsupported_image_type', 'unreadable_image', 'upload_aborted'],
} as const;

export type ImagePathProblem = (typeof STORAGE_ERROR_CODES.imagePath)[number];
export type UploadProblem = (typeof STORAGE_ERROR_CODES.upload)[number];
/** Every code a storage error carries. */
export type StorageErrorCode = ImagePathProblem | UploadProblem;

/** The base of libs/storage's errors: `code` from {@link STORAGE_ERROR_CODES}, narrowed by each subclass to its rule's codes. */
export abstract class StorageError<Code extends StorageErrorCode = StorageErrorCode> extends CodedError<Code> {}
