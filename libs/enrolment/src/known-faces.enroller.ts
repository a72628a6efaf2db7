import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { KNOWN_SOURCE_PREFIX, PersonImageRepository } from '@visage/persistence';
import { ContentFaceAnalyzer, FACE_ANALYZER } from '@visage/recognizer-client';
import { sha256 } from './content-hash';
import { personNameFromFileName } from './known-face-name';
import { describeSingleFace } from './single-face';

export interface KnownFacesReport {
  enrolled: string[];
  unchanged: string[];
  removed: string[];
  /** Files that cannot be enrolled as they are (bad name, no face, several faces, not an image). */
  skipped: Array<{ file: string; reason: string }>;
  /** Files not done because the recognizer failed transiently; the next run retries them. */
  failed: Array<{ file: string; reason: string }>;
}

/**
 * Seed-compatible enrolment of KNOWN_FACES_DIR (`<name>_<n>.<ext>`). Idempotent by sha256 of the content:
 * unchanged files are skipped, changed ones re-enrolled, removed ones dropped, and a file that no longer shows
 * exactly one face loses its old descriptor.
 */
@Injectable()
export class KnownFacesEnroller {
  private readonly logger = new Logger('KnownFaces');

  constructor(
    @Inject(PersonImageRepository) private readonly repository: PersonImageRepository,
    @Inject(FACE_ANALYZER) private readonly analyzer: ContentFaceAnalyzer,
    @Inject(ConfigService) private readonly config: ConfigService,
  ) {}

  async enrolAll(directory = this.config.get('KNOWN_FACES_DIR')): Promise<KnownFacesReport> {
    const report: KnownFacesReport = { enrolled: [], unchanged: [], removed: [], skipped: [], failed: [] };
    let files: string[];
    try {
      files = (await readdir(directory, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name).sort();
    } catch (error) {
      this.logger.warn(`known faces folder ${directory} not readable (${(error as Error).message}); nothing enrolled`);
      return report;
    }
    const existing = new Map((await this.repository.listByPrefix(KNOWN_SOURCE_PREFIX)).map((row) => [row.sourceName, row]));
    const present = new Set<string>();

    for (const file of files) {
      const sourceName = `${KNOWN_SOURCE_PREFIX}${file}`;
      present.add(sourceName);
      const personName = personNameFromFileName(file);
      if (!personName) {
        report.skipped.push({ file, reason: 'name is not <name>_<n>.<ext> with an image extension' });
        continue;
      }
      const content = await readFile(join(directory, file));
      const contentHash = sha256(content);
      const previous = existing.get(sourceName);
      if (previous?.contentHash === contentHash) {
        report.unchanged.push(file);
        continue;
      }
      let described;
      try {
        described = await describeSingleFace(this.analyzer, content, file);
      } catch (error) {
        report.failed.push({ file, reason: (error as Error).message });
        continue;
      }
      if (described.status !== 'ok') {
        const reason =
          described.status === 'several_faces'
            ? `${described.count} faces found, exactly one needed`
            : described.status === 'no_face'
              ? 'no face found'
              : `not a usable image (${described.reason})`;
        report.skipped.push({ file, reason });
        if (previous) await this.repository.deleteEnrolments([previous.id]);
        continue;
      }
      const person = await this.repository.findOrCreatePerson(personName);
      await this.repository.replaceEnrolment({ personId: person.id, sourceName, contentHash, descriptor: described.descriptor });
      report.enrolled.push(file);
    }

    const gone = [...existing.values()].filter((row) => !present.has(row.sourceName));
    await this.repository.deleteEnrolments(gone.map((row) => row.id));
    report.removed.push(...gone.map((row) => row.sourceName.slice(KNOWN_SOURCE_PREFIX.length)));

    for (const { file, reason } of report.skipped) this.logger.warn(`known face ${file} skipped: ${reason}`);
    for (const { file, reason } of report.failed) this.logger.warn(`known face ${file} not enrolled this time: ${reason}`);
    this.logger.log(
      `known faces: ${report.enrolled.length} enrolled, ${report.unchanged.length} unchanged, ${report.removed.length} removed, ${report.skipped.length} skipped, ${report.failed.length} to retry`,
    );
    return report;
  }
}
