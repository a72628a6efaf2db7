import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, HttpException, Req, Res } from '@nestjs/common';
import { Scope } from '@visage/access';
import { imagePath, queryParam, ValidQuery } from '@visage/validation';
import { z } from 'zod';
import { PUBLIC_DIR } from '../common/asset-paths';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { DEFAULT_THUMBNAIL_SIZE, isThumbnailSize, THUMBNAIL_SIZES, ThumbnailService, ThumbnailSize } from './thumbnail.service';

/** `?path=&size=`: an image path (the receiver's rule) and one of the fixed sizes. */
const thumbnailQuery = z.object({
  path: imagePath,
  size: queryParam('size', `size must be one of ${Object.keys(THUMBNAIL_SIZES).join(', ')}`, (text) =>
    /^\d+$/.test(text) && isThumbnailSize(Number(text)) ? (Number(text) as ThumbnailSize) : undefined,
  ).transform((size) => size ?? DEFAULT_THUMBNAIL_SIZE),
});

/** Shown by `<img>` tags instead of a broken-image icon; the status code still says what went wrong. */
const UNAVAILABLE = readFileSync(join(PUBLIC_DIR, 'thumbnail-unavailable.svg'));

@Scope('read')
@Controller('thumbnails')
export class ThumbnailsController {
  constructor(private readonly thumbnails: ThumbnailService) {}

  @Get()
  async thumbnail(
    @ValidQuery(thumbnailQuery) { path, size }: z.output<typeof thumbnailQuery>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const result = await this.thumbnails.render(path, size, request.headers['if-none-match']);
    if (result.kind === 'refused') {
      const fromImgTag = /image\//.test(request.headers.accept ?? '') && !/json/.test(request.headers.accept ?? '');
      if (!fromImgTag) throw new HttpException({ statusCode: result.status, message: result.message, code: result.code }, result.status);
      response.setHeader('Cache-Control', 'no-store');
      response.status(result.status).type('image/svg+xml').send(UNAVAILABLE);
      return;
    }
    // Private: thumbnails show people's faces. Short max-age, then a cheap revalidation by ETag.
    response.setHeader('Cache-Control', 'private, max-age=300');
    response.setHeader('ETag', result.etag);
    if (result.kind === 'not-modified') {
      response.status(304).end();
      return;
    }
    response.status(200).type(result.contentType).send(result.body);
  }
}
