import { Body, Controller, Get, Param, Post, Render, Req, Res } from '@nestjs/common';
import { Scope } from '@visage/access';
import { CurrentSession } from '../auth/dashboard-auth.guard';
import { DashboardSession } from '../auth/session-cookie';
import { HttpRequest as Request, HttpResponse as Response } from '../common/http';
import { setFlash, takeFlash } from '../common/flash';
import { parseRouteId } from '@visage/domain';
import { ReceiverApiClient } from '../receiver/receiver-api.client';
import { PersonsService } from './persons.service';
import { FormBody, formField } from '../common/form';

@Controller('persons')
export class PersonsController {
  constructor(
    private readonly persons: PersonsService,
    private readonly receiver: ReceiverApiClient,
  ) {}

  @Get()
  @Scope('read')
  @Render('persons')
  async list(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const persons = await this.persons.persons();
    return { persons, pageTitle: 'People', nav: 'persons', flash: takeFlash(request, response) };
  }

  @Post()
  @Scope('admin')
  async create(@Body() body: FormBody, @CurrentSession() session: DashboardSession, @Res() response: Response): Promise<void> {
    const name = formField(body, 'name');
    if (!name) {
      setFlash(response, { kind: 'error', text: 'Enter a name for the new person.' });
      return response.redirect(303, '/persons');
    }
    const result = await this.receiver.createPerson(session, name);
    if (!result.ok) {
      setFlash(response, { kind: 'error', text: `Could not add “${name}”: ${result.message}` });
      return response.redirect(303, '/persons');
    }
    setFlash(response, { kind: 'success', text: `Added “${name}”. Enrol a face to have them recognised.` });
    response.redirect(303, typeof result.body?.id === 'number' ? `/persons#person-${result.body.id}` : '/persons');
  }

  @Post(':id/faces')
  @Scope('admin')
  async enrol(@Param('id') idParam: string, @Body() body: FormBody, @CurrentSession() session: DashboardSession, @Res() response: Response): Promise<void> {
    const id = parseRouteId(idParam);
    const path = formField(body, 'path');
    const back = id === undefined ? '/persons' : `/persons#person-${id}`;
    if (id === undefined || !path) {
      setFlash(response, { kind: 'error', text: 'Enter the path of an image (relative to the images folder).' });
      return response.redirect(303, back);
    }
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
