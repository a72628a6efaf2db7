import { NestExpressApplication } from '@nestjs/platform-express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DESCRIPTOR_RECIPE, DESCRIPTOR_LENGTH, DescriptorRecipe } from '@visage/domain';
import { FaceEntity, PersonImageEntity } from '@visage/persistence';
import { MigratedTestDatabase, Rows, TEST_DRIVERS } from '../../../libs/persistence/test/test-databases';
import { DashboardClient, DashboardTestBed, signIn } from './harness';

/** The configured recipe: the test bed leaves FACE_DESCRIPTOR_RECIPE at its default. */
const CONFIGURED = DEFAULT_DESCRIPTOR_RECIPE;

/** The progress line of a page, or undefined when the page shows none. */
function redescriptionLine(html: string): string | undefined {
  return /<p class="redescription" role="status" data-redescription>([^<]*)</.exec(html)?.[1];
}

describe.each(TEST_DRIVERS)('re-description progress on the dashboard on $name', (driver) => {
  let db: MigratedTestDatabase;
  let rows: Rows;
  let app: NestExpressApplication;
  let dashboard: DashboardClient;
  const bed = new DashboardTestBed();
  const enrolments: Record<'done' | 'waiting' | 'failed', number[]> = { done: [], waiting: [], failed: [] };
  const faces: Record<'done' | 'waiting' | 'failed', number[]> = { done: [], waiting: [], failed: [] };

  async function setFaces(ids: number[], recipe: DescriptorRecipe, error: string | null): Promise<void> {
    for (const id of ids) await db.dataSource.getRepository(FaceEntity).update({ id }, { descriptorRecipe: recipe, redescriptionError: error });
  }

  async function setEnrolments(ids: number[], recipe: DescriptorRecipe, error: string | null): Promise<void> {
    for (const id of ids)
      await db.dataSource.getRepository(PersonImageEntity).update({ id }, { descriptorRecipe: recipe, redescriptionError: error });
  }

  beforeAll(async () => {
    ({ db, rows } = await bed.open(driver, 'visage_frontend_redescribe'));
    const ada = await rows.person('Ada');
    // Enrolments: 1 of the configured recipe, 2 of crop waiting, 1 of crop whose file is gone.
    const enrol = async (n: number) => (await rows.enrolled(ada.id, `known:ada_${n}.jpg`)).id;
    enrolments.done.push(await enrol(1));
    enrolments.waiting.push(await enrol(2), await enrol(3));
    enrolments.failed.push(await enrol(4));
    await setEnrolments(enrolments.done, CONFIGURED, null);
    await setEnrolments([...enrolments.waiting, ...enrolments.failed], 'crop', null);
    await setEnrolments(enrolments.failed, 'crop', 'image file gone');
    // Faces: 2 of the configured recipe, 3 waiting, 1 failed, and one stored before descriptors were kept (never counted).
    const image = await rows.image('party.jpg', { status: 'processed' });
    const face = async (recipe: DescriptorRecipe) => {
      const stored = await rows.face(image.id, null);
      await db.dataSource
        .getRepository(FaceEntity)
        .update({ id: stored.id }, { descriptor: Buffer.alloc(DESCRIPTOR_LENGTH * 4), descriptorRecipe: recipe });
      return stored.id;
    };
    faces.done.push(await face(CONFIGURED), await face(CONFIGURED));
    faces.waiting.push(await face('crop'), await face('crop'), await face('crop'));
    faces.failed.push(await face('crop'));
    await setFaces(faces.failed, 'crop', 'no such face found again');
    await rows.face(image.id, null);
    app = await bed.start();
    dashboard = await signIn(app);
  });

  afterAll(() => bed.close());

  it('shows how many faces and enrolments are done and failed on the images and people pages, with the docs section', async () => {
    for (const page of ['/', '/persons']) {
      const html = (await dashboard.get(page).expect(200)).text;
      expect(redescriptionLine(html)).toBe(
        `Re-describing stored faces for ${CONFIGURED}: 2 of 6 faces, 1 of 4 enrolments done; ` +
          '1 face and 1 enrolment failed (image gone or face not found again). ',
      );
      expect(html).toContain('How it works: docs/processor.md, “Re-description job”.');
    }
  });

  it('says the work is finished while failed rows are left, and shows nothing once every row has the recipe', async () => {
    await setFaces(faces.waiting, CONFIGURED, null);
    await setEnrolments(enrolments.waiting, CONFIGURED, null);
    expect(redescriptionLine((await dashboard.get('/persons').expect(200)).text)).toBe(
      `Stored faces re-described for ${CONFIGURED}: 5 of 6 faces, 3 of 4 enrolments done; 1 face and 1 enrolment failed (image gone or face not found again). `,
    );
    await setEnrolments(enrolments.failed, CONFIGURED, null);
    expect(redescriptionLine((await dashboard.get('/').expect(200)).text)).toBe(
      `Stored faces re-described for ${CONFIGURED}: 5 of 6 faces, 4 of 4 enrolments done; 1 face failed (image gone or face not found again). `,
    );
    await setFaces(faces.failed, CONFIGURED, null);
    for (const page of ['/', '/persons']) {
      const html = (await dashboard.get(page).expect(200)).text;
      expect(html).not.toContain('data-redescription');
      expect(html).not.toContain('Re-describ');
    }
  });
});
