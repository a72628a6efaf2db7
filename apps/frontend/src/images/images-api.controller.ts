import { Controller, Get, Header, Query } from '@nestjs/common';
import { parseFilter, parseSince } from './images.query';
import { ChangesView, ImagesService } from './images.service';

/** The live-update feed polled by `public/live.js`: rows changed since a cursor, and fresh status counts. */
@Controller('api/images')
export class ImagesApiController {
  constructor(private readonly images: ImagesService) {}

  @Get('changes')
  @Header('Cache-Control', 'no-store')
  changes(@Query() query: Record<string, unknown>): Promise<ChangesView> {
    return this.images.changes(parseSince(query), parseFilter(query));
  }
}
