import { Controller, Get, Param, Post, Render, Req, Res } from '@nestjs/common';
import { notFound, routeIdOf } from '../common/not-found';
import { Scope } from '@visage/access';
import { CurrentSession } from '../auth/dashboard-auth.guard';
import { DashboardSession } from '../auth/session-cookie';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { FlashMessage, setFlash, takeFlash } from '../common/flash';
import { ReceiverApiClient } from '../receiver/receiver-api.client';
import { ValidQuery } from '@visage/validation';
import { ImagesPageQuery, imagesPageQuery } from './images.query';
import { ImagesService } from './images.service';
import { RedescriptionNoticeService } from '../descriptors/redescription-notice.service';
import { z } from 'zod';

/** `?retried=1` on an image page: the retry this page redirected from (anything else is ignored). */
const retriedQuery = z.object({
  retried: z
    .string()
    .optional()
    .transform((value) => value === '1'),
});
type RetriedQuery = z.output<typeof retriedQuery>;

@Controller()
export class ImagesController {
  constructor(
    private readonly images: ImagesService,
    private readonly receiver: ReceiverApiClient,
    private readonly redescription: RedescriptionNoticeService,
  ) {}

  @Get()
  @Scope('read')
  @Render('images')
  async list(@ValidQuery(imagesPageQuery) query: ImagesPageQuery, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const [view, redescription] = await Promise.all([this.images.imagesPage(query), this.redescription.notice()]);
    return { ...view, redescription, pageTitle: 'Images', nav: 'images', flash: takeFlash(request, response) };
  }

  @Get('images/:id')
  @Scope('read')
  @Render('image-detail')
  async detail(
    @Param('id') idParam: string,
    @ValidQuery(retriedQuery) query: RetriedQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const view = await this.images.detail(routeIdOf('image', idParam));
    if (!view) throw notFound('image', idParam);
    // Still in the pipeline: the page reloads itself once the processor has written the outcome.
    // Not final yet: the page reloads itself when the image changes.
    const watch = view.image.status === 'pending' || view.image.status === 'processing' || view.image.status === 'retrying';
    const queuedAgain: FlashMessage = { kind: 'success', text: `Image ${view.image.id} was queued again.` };
    return {
      ...view,
      watch,
      pageTitle: `Image ${view.image.id}`,
      nav: 'images',
      flash: takeFlash(request, response) ?? (query.retried ? queuedAgain : undefined),
    };
  }

  /**
   * "Upload photos": the page's script posts each file (multipart, `X-CSRF-Token`) and the body streams on to the
   * receiver's `POST /images` with the session's key; the receiver's per-file answer (or refusal) comes back as JSON.
   */
  @Post('upload')
  @Scope('submit')
  async upload(@Req() request: Request, @CurrentSession() session: DashboardSession, @Res() response: Response): Promise<void> {
    const result = await this.receiver.uploadImages(session, request);
    response.status(result.status).json(result.ok ? result.body : { message: result.message });
  }

  @Post('images/:id/retry')
  @Scope('admin')
  async retry(@Param('id') idParam: string, @CurrentSession() session: DashboardSession, @Res() response: Response): Promise<void> {
    const id = routeIdOf('image', idParam);
    const result = await this.receiver.retryImage(session, id);
    if (!result.ok) {
      setFlash(response, { kind: 'error', text: `Retry failed: ${result.message}` });
      return response.redirect(303, `/images/${id}`);
    }
    // In the URL, not a one-shot cookie: the page reloads itself as the image moves on, and the note must stay.
    response.redirect(303, `/images/${id}?retried=1`);
  }
}
