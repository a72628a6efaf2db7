import { Controller, Get, Header, Param } from '@nestjs/common';
import { notFound, routeIdOf } from '../common/not-found';
import { Scope } from '@visage/access';
import { ImageRowView } from './image.presenter';
import { ValidQuery } from '@visage/validation';
import { z } from 'zod';
import { imageChangesQuery } from './images.query';
import { ChangesView, ImagesService } from './images.service';

/** The live-update feed polled by `public/live.js`: rows changed since a cursor, and fresh status counts. */
@Scope('read')
@Controller('api/images')
export class ImagesApiController {
  constructor(private readonly images: ImagesService) {}

  @Get('changes')
  @Header('Cache-Control', 'no-store')
  changes(@ValidQuery(imageChangesQuery) query: z.output<typeof imageChangesQuery>): Promise<ChangesView> {
    return this.images.changes(query.since, query.filter);
  }

  /** One row, polled by an open detail page while its image is pending or processing. */
  @Get(':id')
  @Header('Cache-Control', 'no-store')
  async image(@Param('id') idParam: string): Promise<ImageRowView> {
    const row = await this.images.row(routeIdOf('image', idParam));
    if (!row) throw notFound('image', idParam);
    return row;
  }
}
