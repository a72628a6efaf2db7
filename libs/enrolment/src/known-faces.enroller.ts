import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { qualityRuleOf } from '@visage/matcher';
import { KNOWN_SOURCE_PREFIX, PersonImageRepository } from '@visage/persistence';
import { ContentFaceAnalyzer, FACE_ANALYZER } from '@visage/recognizer-client';
import { sha256 } from './content-hash';
import { personNameFromFileName, personNameFromFolder } from './known-face-name';
import { describeSingleFace, dominantFaceNote, noDominantFaceReason } from './single-face';

export interface KnownFacesReport {
  enrolled: string[];
  unchanged: string[];
  removed: string[];
  /** Files that cannot be enrolled as they are (bad name, no face, several faces none dominant, not an image), each logged. */
  skipped: Array<{ file: string; reason: string }>;
  /** Files not done because the recognizer failed transiently; the next run retries them. */
  failed: Array<{ file: string; reason: string }>;
  /** Files whose person was deleted (tombstoned by content hash): never enrolled again unless changed or cleared. */
  forgotten: string[];
}

/** A file found in KNOWN_FACES_DIR: its path relative to it (`alice_1.jpg`, `bob/beach.jpg`) and whose face it is. */
interface KnownFaceFile {
  file: string;
  personName: string | undefined;
}

/**
 * Seed-compatible enrolment of KNOWN_FACES_DIR: flat files `<name>_<n>.<ext>` and per-person folders
 * `<name>/<any>.<ext>`, one face each (or one clearly dominant face, see dominant-face.ts). Idempotent by sha256 of the content:
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

  async enrolAll(directory = this.config.get('storage').knownFacesDir): Promise<KnownFacesReport> {
    const report: KnownFacesReport = { enrolled: [], unchanged: [], removed: [], skipped: [], failed: [], forgotten: [] };
    let files: KnownFaceFile[];
    try {
      files = await this.listKnownFaces(directory, report);
    } catch (error) {
      this.logger.warn(`known faces folder ${directory} not readable (${(error as Error).message}); nothing enrolled`);
      return report;
    }
    const existing = new Map((await this.repository.listByPrefix(KNOWN_SOURCE_PREFIX)).map((row) => [row.sourceName, row]));
    const forgotten = await this.repository.forgottenKnownFaces();
    const present = new Set<string>();

    for (const { file, personName } of files) {
      const sourceName = `${KNOWN_SOURCE_PREFIX}${file}`;
      present.add(sourceName);
      if (!personName) {
        report.skipped.push({
          file,
          reason: file.includes('/') ? 'not an image file (by its extension)' : 'name is not <name>_<n>.<ext> with an image extension',
        });
        continue;
      }
      const content = await readFile(join(directory, file));
      const contentHash = sha256(content);
      if (forgotten.has(contentHash)) {
        report.forgotten.push(file);
        continue;
      }
      const previous = existing.get(sourceName);
      // A file enrolled with another descriptor recipe is described again: this is how known faces move to a new
      // FACE_DESCRIPTOR_RECIPE, at start-up before the processor consumes (docs/recognizer.md, "Descriptor recipes").
      if (previous?.contentHash === contentHash && previous.recipe === this.repository.recipe) {
        report.unchanged.push(file);
        continue;
      }
      let described;
      try {
        described = await describeSingleFace(this.analyzer, content, file, qualityRuleOf(this.config.values));
      } catch (error) {
        report.failed.push({ file, reason: (error as Error).message });
        continue;
      }
      if (described.status !== 'ok') {
        const reason =
          described.status === 'several_faces'
            ? noDominantFaceReason(described.count)
            : described.status === 'no_face'
              ? 'no face found'
              : described.status === 'low_quality'
                ? `the face is of low quality (${described.reasons.join(', ')})`
                : `not a usable image (${described.reason})`;
        report.skipped.push({ file, reason });
        if (previous) await this.repository.deleteEnrolments([previous.id]);
        continue;
      }
      // Names ignore case: "AMY_2.jpg" beside a person "amy" is another photo of amy.
      const person = await this.repository.findOrCreatePerson(personName);
      if (person.name !== personName) this.logger.log(`known face ${file} enrolled for "${person.name}" (names ignore case)`);
      await this.repository.replaceEnrolment({
        personId: person.id,
        sourceName,
        contentHash,
        descriptor: described.descriptor,
        recipe: described.recipe,
      });
      report.enrolled.push(file);
      const note = dominantFaceNote(described.facesInPhoto);
      if (note) this.logger.log(`known face ${file}: ${note}`);
    }

    const gone = [...existing.values()].filter((row) => !present.has(row.sourceName));
    await this.repository.deleteEnrolments(gone.map((row) => row.id));
    report.removed.push(...gone.map((row) => row.sourceName.slice(KNOWN_SOURCE_PREFIX.length)));

    for (const { file, reason } of report.skipped) this.logger.warn(`known face ${file} skipped: ${reason}`);
    // Counted, never named: the file name is the forgotten person's name.
    if (report.forgotten.length > 0) {
      this.logger.log(
        `skipped ${report.forgotten.length} forgotten known faces (see docs: README "Forgetting"; DELETE /known-faces/forgotten brings them back)`,
      );
    }
    for (const { file, reason } of report.failed) this.logger.warn(`known face ${file} not enrolled this time: ${reason}`);
    this.logger.log(
      `known faces: ${report.enrolled.length} enrolled, ${report.unchanged.length} unchanged, ${report.removed.length} removed, ${report.skipped.length} skipped, ${report.failed.length} to retry`,
    );
    return report;
  }

  /** Flat files and the files of per-person folders, sorted; anything deeper is reported as skipped. */
  /**
   * What the folder holds, by name, size and modification time, without reading a file: equal between two calls,
   * nothing was added, changed or removed, so a rescan ({@link enrolAll}, which reads and hashes every file) can
   * be skipped. An unreadable folder has the fingerprint `unreadable`.
   */
  async fingerprint(directory = this.config.get('storage').knownFacesDir): Promise<string> {
    try {
      const files = await this.listKnownFaces(directory, { enrolled: [], unchanged: [], removed: [], skipped: [], failed: [], forgotten: [] });
      const lines = await Promise.all(
        files.map(async ({ file }) => {
          const info = await stat(join(directory, file)).catch(() => undefined);
          return `${file}\t${info?.size ?? '-'}\t${info?.mtimeMs ?? '-'}`;
        }),
      );
      return lines.sort().join('\n');
    } catch {
      return 'unreadable';
    }
  }

  private async listKnownFaces(directory: string, report: KnownFacesReport): Promise<KnownFaceFile[]> {
    const found: KnownFaceFile[] = [];
    for (const entry of await readdir(directory, { withFileTypes: true })) {
      if (entry.isFile()) {
        found.push({ file: entry.name, personName: personNameFromFileName(entry.name) });
      } else if (entry.isDirectory()) {
        for (const inner of await readdir(join(directory, entry.name), { withFileTypes: true })) {
          const file = `${entry.name}/${inner.name}`;
          if (inner.isFile()) found.push({ file, personName: personNameFromFolder(entry.name, inner.name) });
          else report.skipped.push({ file, reason: 'not a file (per-person folders hold files only)' });
        }
      }
    }
    return found.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }
}
