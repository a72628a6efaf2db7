import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import { Scope } from '@visage/access';
import { ImageRowView } from './image.presenter';
import { parseRouteId } from '@visage/domain';
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
    const id = parseRouteId(idParam);
    const row = id === undefined ? undefined : await this.images.row(id);
    if (!row) throw new NotFoundException(`There is no image with id ${idParam}.`);
    return row;
  }
}
