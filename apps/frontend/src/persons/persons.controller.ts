import { Controller, Get, Param, Post, Render, Req, Res } from '@nestjs/common';
import { Scope } from '@visage/access';
import { CurrentSession } from '../auth/dashboard-auth.guard';
import { DashboardSession } from '../auth/session-cookie';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { setFlash, takeFlash } from '../common/flash';
import { parseRouteId } from '@visage/domain';
import { notFound } from '../common/not-found';
import { ReceiverApiClient } from '../receiver/receiver-api.client';
import { PersonsService } from './persons.service';
import { RedescriptionNoticeService } from '../descriptors/redescription-notice.service';
import { FormInput, refuseForm, ValidForm } from '../common/form';
import { enrolFaceForm, mergeForm, newPersonForm } from './persons.form';

@Controller('persons')
export class PersonsController {
  constructor(
    private readonly persons: PersonsService,
    private readonly receiver: ReceiverApiClient,
    private readonly redescription: RedescriptionNoticeService,
  ) {}

  @Get()
  @Scope('read')
  @Render('persons')
  async list(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const [persons, redescription] = await Promise.all([this.persons.persons(), this.redescription.notice()]);
    return { persons, redescription, pageTitle: 'People', nav: 'persons', flash: takeFlash(request, response) };
  }

  @Post()
  @Scope('admin')
  async create(
    @ValidForm(newPersonForm) form: FormInput<typeof newPersonForm>,
    @CurrentSession() session: DashboardSession,
    @Res() response: Response,
  ): Promise<void> {
    if (!form.ok) return refuseForm(response, '/persons', 'Could not add the person', form.problem);
    const { name } = form.value;
    const result = await this.receiver.createPerson(session, name);
    if (!result.ok) {
      setFlash(response, { kind: 'error', text: `Could not add “${name}”: ${result.message}` });
      return response.redirect(303, '/persons');
    }
    setFlash(response, { kind: 'success', text: `Added “${name}”. Enrol a face to have them recognised.` });
    response.redirect(303, personCard(result.body?.id));
  }

  /** "Same person as …": merged through the receiver, the person to keep given by name (the page's list of names). */
  @Post(':id/merge')
  @Scope('admin')
  async merge(
    @Param('id') idParam: string,
    @ValidForm(mergeForm) form: FormInput<typeof mergeForm>,
    @CurrentSession() session: DashboardSession,
    @Res() response: Response,
  ): Promise<void> {
    const id = parseRouteId(idParam);
    if (!form.ok) return refuseForm(response, personCard(id), 'Could not merge', form.problem);
    const intoName = form.value.into;
    const into = await this.persons.idNamed(intoName);
    if (id === undefined || into === undefined) {
      setFlash(response, { kind: 'error', text: `There is nobody named “${intoName}”.` });
      return response.redirect(303, personCard(id));
    }
    const result = await this.receiver.mergePerson(session, id, into);
    setFlash(
      response,
      result.ok
        ? { kind: 'success', text: `Merged into “${intoName}”: their images are being updated.` }
        : { kind: 'error', text: `Could not merge: ${result.message}` },
    );
    response.redirect(303, personCard(result.ok ? into : id));
  }

  /**
   * "Add a photo": the page's script posts the picture (multipart, `X-CSRF-Token`), streamed on to the receiver's
   * `POST /persons/:id/faces`; the outcome is the flash of the page the script reloads, and the JSON answer.
   */
  @Post(':id/photo')
  @Scope('admin')
  async addPhoto(
    @Param('id') idParam: string,
    @Req() request: Request,
    @CurrentSession() session: DashboardSession,
    @Res() response: Response,
  ): Promise<void> {
    const id = parseRouteId(idParam);
    if (id === undefined) throw notFound('person', idParam);
    const result = await this.receiver.enrolUploadedFace(session, id, request);
    const text = result.ok
      ? `Added the photo: its face is enrolled${result.body?.note ? ` (${result.body.note})` : ''}.`
      : `Could not add the photo: ${result.message}`;
    setFlash(response, { kind: result.ok ? 'success' : 'error', text });
    response.status(result.status).json({ message: text });
  }

  @Post(':id/faces')
  @Scope('admin')
  async enrol(
    @Param('id') idParam: string,
    @ValidForm(enrolFaceForm) form: FormInput<typeof enrolFaceForm>,
    @CurrentSession() session: DashboardSession,
    @Res() response: Response,
  ): Promise<void> {
    const id = parseRouteId(idParam);
    const back = personCard(id);
    if (!form.ok) return refuseForm(response, back, 'Could not enrol the face', form.problem);
    if (id === undefined) {
      setFlash(response, { kind: 'error', text: `There is no person with id ${idParam}.` });
      return response.redirect(303, back);
    }
    const { path } = form.value;
    const result = await this.receiver.enrolFace(session, id, path);
    setFlash(
      response,
      result.ok
        ? { kind: 'success', text: `Enrolled the face in ${path}${result.body?.note ? ` (${result.body.note})` : ''}.` }
        : { kind: 'error', text: `Could not enrol ${path}: ${result.message}` },
    );
    response.redirect(303, back);
  }
}

/** The people page at a person's card (at the top without one). */
function personCard(id: unknown): string {
  return typeof id === 'number' ? `/persons#person-${id}` : '/persons';
}
