import { OpenAPIObject } from '@nestjs/swagger';
import { ApiExtension } from '@nestjs/swagger';

/** Marks an operation that takes an upload; {@link describeUploadBodies} turns it into the request body's media types. */
const UPLOAD_EXTENSION = 'x-visage-upload';

/**
 * OpenAPI of an upload route: `multipart/form-data` with up to `maxFiles` `file` parts, or the picture itself as
 * the body (`image/*`). Nest's @ApiBody gives every media type the same schema, so the two forms are written into
 * the document afterwards, beside any JSON form the route also takes.
 */
export const ApiUploadBody = (maxFiles: number) => ApiExtension(UPLOAD_EXTENSION, { maxFiles });

type Operation = {
  [UPLOAD_EXTENSION]?: { maxFiles: number };
  requestBody?: { required?: boolean; content?: Record<string, unknown>; description?: string };
};

export function describeUploadBodies(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    const operation = item.post as Operation | undefined;
    const upload = operation?.[UPLOAD_EXTENSION];
    if (!operation || !upload) continue;
    delete operation[UPLOAD_EXTENSION];
    const binary = { type: 'string', format: 'binary' };
    operation.requestBody = {
      ...operation.requestBody,
      required: true,
      content: {
        ...operation.requestBody?.content,
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['file'],
            properties: { file: upload.maxFiles > 1 ? { type: 'array', items: binary, maxItems: upload.maxFiles } : binary },
          },
        },
        'image/*': { schema: binary },
      },
    };
  }
  return document;
}
