import { BadRequestException, Controller, Get, HttpException, Query, Req, Res } from '@nestjs/common';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { DEFAULT_THUMBNAIL_SIZE, isThumbnailSize, THUMBNAIL_SIZES, ThumbnailService } from './thumbnail.service';

@Controller('thumbnails')
export class ThumbnailsController {
  constructor(private readonly thumbnails: ThumbnailService) {}

  @Get()
  async thumbnail(
    @Query('path') path: unknown,
    @Query('size') sizeParam: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const size = sizeParam === undefined ? DEFAULT_THUMBNAIL_SIZE : Number(sizeParam);
    if (!isThumbnailSize(size)) {
      throw new BadRequestException(`size must be one of ${Object.keys(THUMBNAIL_SIZES).join(', ')}`);
    }
    const result = await this.thumbnails.render(path, size, request.headers['if-none-match']);
    if (result.kind === 'refused') throw new HttpException(result.message, result.status);
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
