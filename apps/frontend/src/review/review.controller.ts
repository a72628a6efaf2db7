import { Controller, Get, Headers, NotFoundException, Param, Post, Render, Req, Res } from '@nestjs/common';
import { notFound, routeIdOf } from '../common/not-found';
import { Scope } from '@visage/access';
import { cursorParam, ValidQuery } from '@visage/validation';
import { z } from 'zod';
import { decodeClusterCursor } from '@visage/persistence';
import { setFlash, takeFlash } from '../common/flash';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { CurrentSession } from '../auth/dashboard-auth.guard';
import { DashboardSession } from '../auth/session-cookie';
import { misfitsOf, ReceiverApiClient, ReceiverResult } from '../receiver/receiver-api.client';
import { misfitViews } from './misfit.presenter';
import { FaceCropService } from './face-crop.service';
import { ReviewService } from './review.service';
import { FormInput, refuseForm, ValidForm } from '../common/form';
import { nameForm } from './review.form';

/** `/unknown?cursor=`: the page size is the dashboard's own. */
const unknownPeopleQuery = z.object({ cursor: cursorParam(decodeClusterCursor) });

/**
 * Face review on the dashboard: "Unknown people" (groups of unknown faces, most cohesive first, outliers marked) with Name / Not the
 * same / Ignore, and per face on the image page "This is …" / "Not <name>". Reads go to the database, every
 * action through the receiver's API, like the rest of the dashboard.
 */
@Controller()
export class ReviewController {
  constructor(
    private readonly review: ReviewService,
    private readonly receiver: ReceiverApiClient,
    private readonly crops: FaceCropService,
  ) {}

  @Get('unknown')
  @Scope('read')
  @Render('unknown-people')
  async unknownPeople(
    @ValidQuery(unknownPeopleQuery) query: z.output<typeof unknownPeopleQuery>,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { groups, nextUrl } = await this.review.unknownPeople(query.cursor);
    return { groups, nextUrl, pageTitle: 'Unknown people', nav: 'unknown', flash: takeFlash(request, response) };
  }

  @Get('faces/:id/crop')
  @Scope('read')
  async crop(@Param('id') idParam: string, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() response: Response): Promise<void> {
    const face = await this.face(idParam);
    const crop = await this.crops.render(face.imagePath, face.box, ifNoneMatch);
    if (crop.kind === 'unavailable' || crop.kind === 'undecodable')
      throw new NotFoundException({ message: 'This face cannot be shown.', code: 'image_unavailable' });
    // Private: crops show people's faces. Short max-age, then a cheap revalidation by ETag.
    response.setHeader('Cache-Control', 'private, max-age=300');
    response.setHeader('ETag', crop.etag);
    if (crop.kind === 'not-modified') {
      response.status(304).end();
      return;
    }
    response.status(200).type('image/webp').send(crop.body);
  }

  /**
   * "Name this person". When the receiver finds faces that do not fit (409 `faces_need_confirmation`), the
   * confirmation page shows the group with those faces marked, each to keep or leave out, and posts here again.
   */
  @Post('unknown/:id/name')
  @Scope('admin')
  async name(
    @Param('id') idParam: string,
    @ValidForm(nameForm) form: FormInput<typeof nameForm>,
    @CurrentSession() session: DashboardSession,
    @Res() response: Response,
  ): Promise<void> {
    const id = routeIdOf('cluster', idParam);
    if (!form.ok) return refuseForm(response, '/unknown', 'Could not name the group', form.problem);
    const { name, ...confirmations } = form.value;
    const result = await this.receiver.nameCluster(session, id, name, confirmations);
    const misfits = misfitsOf(result);
    if (misfits) {
      const asked = new Set(misfits.map((misfit) => misfit.faceId));
      const others = await this.review.otherFaces(id, asked);
      return response.status(409).render('review-confirm', {
        pageTitle: 'Check before naming',
        nav: 'unknown',
        name,
        action: `/unknown/${id}/name`,
        back: `/unknown#group-${id}`,
        canLeaveOut: true,
        misfits: misfitViews(misfits, name),
        others,
      });
    }
    this.flash(response, result, `Named “${name}”: their images are being updated.`, `Could not name “${name}”`);
    response.redirect(303, '/unknown');
  }

  @Post('unknown/:id/ignore')
  @Scope('admin')
  async ignore(@Param('id') idParam: string, @CurrentSession() session: DashboardSession, @Res() response: Response): Promise<void> {
    this.flash(
      response,
      await this.receiver.ignoreCluster(session, routeIdOf('cluster', idParam)),
      'Ignored: this group will not be suggested again.',
      'Could not ignore the group',
    );
    response.redirect(303, '/unknown');
  }

  @Post('unknown/:id/faces/:faceId/remove')
  @Scope('admin')
  async removeFace(
    @Param('id') idParam: string,
    @Param('faceId') faceParam: string,
    @CurrentSession() session: DashboardSession,
    @Res() response: Response,
  ): Promise<void> {
    const result = await this.receiver.removeClusterFace(session, routeIdOf('cluster', idParam), routeIdOf('face', faceParam));
    this.flash(response, result, 'Removed the face from the group.', 'Could not remove the face');
    response.redirect(303, '/unknown');
  }

  @Post('faces/:id/assign')
  @Scope('admin')
  async assign(
    @Param('id') idParam: string,
    @ValidForm(nameForm) form: FormInput<typeof nameForm>,
    @CurrentSession() session: DashboardSession,
    @Res() response: Response,
  ): Promise<void> {
    const face = await this.face(idParam);
    if (!form.ok) return refuseForm(response, `/images/${face.imageId}`, 'Could not name the face', form.problem);
    const { name, confirm } = form.value;
    const result = await this.receiver.assignFace(session, face.id, name, confirm ? { confirm } : {});
    const misfits = misfitsOf(result);
    if (misfits) {
      return response.status(409).render('review-confirm', {
        pageTitle: 'Check before naming',
        nav: 'images',
        name,
        action: `/faces/${face.id}/assign`,
        back: `/images/${face.imageId}`,
        canLeaveOut: false,
        misfits: misfitViews(misfits, name),
        others: [],
      });
    }
    this.flash(response, result, `This is ${name}: their other images follow shortly.`, `Could not name the face “${name}”`);
    response.redirect(303, `/images/${face.imageId}`);
  }

  @Post('faces/:id/reject')
  @Scope('admin')
  async reject(@Param('id') idParam: string, @CurrentSession() session: DashboardSession, @Res() response: Response): Promise<void> {
    const face = await this.face(idParam);
    this.flash(
      response,
      await this.receiver.rejectFace(session, face.id),
      `Not ${face.personName ?? 'them'}: this face will not be given to them again.`,
      'Could not correct the face',
    );
    response.redirect(303, `/images/${face.imageId}`);
  }

  private async face(idParam: string) {
    const face = await this.review.face(routeIdOf('face', idParam));
    if (!face) throw notFound('face', idParam);
    return face;
  }

  private flash(response: Response, result: ReceiverResult<unknown>, success: string, failure: string): void {
    setFlash(response, result.ok ? { kind: 'success', text: success } : { kind: 'error', text: `${failure}: ${result.message}` });
  }
}
