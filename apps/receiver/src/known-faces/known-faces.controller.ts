import { Controller, Delete, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { Actor } from '@visage/auth';
import { KnownFacesReport } from '@visage/enrolment';
import { KnownFacesService } from './known-faces.service';

class SkippedFileDto {
  @ApiProperty({ example: 'crowd_1.jpg' })
  file!: string;

  @ApiProperty({ example: '3 faces found, exactly one needed' })
  reason!: string;
}

export class KnownFacesReportDto implements KnownFacesReport {
  @ApiProperty({ type: [String], description: 'New or changed files, enrolled now' })
  enrolled!: string[];

  @ApiProperty({ type: [String], description: 'Files enrolled before with the same content' })
  unchanged!: string[];

  @ApiProperty({ type: [String], description: 'Files gone from the folder: their faces were removed from the gallery' })
  removed!: string[];

  @ApiProperty({ type: [SkippedFileDto], description: 'Files that cannot be enrolled as they are (name, no face, several faces, not an image)' })
  skipped!: SkippedFileDto[];

  @ApiProperty({ type: [SkippedFileDto], description: 'Files the recognizer failed on transiently; the next rescan tries them again' })
  failed!: SkippedFileDto[];

  @ApiProperty({
    type: [String],
    description: 'Files of deleted persons (tombstoned by content): not enrolled again until changed or DELETE /known-faces/forgotten',
  })
  forgotten!: string[];
}

export class ClearedForgottenDto {
  @ApiProperty({ example: 2, description: 'Tombstones removed: those files are enrolled again at the next start' }) cleared!: number;
}

@ApiTags('persons')
@ApiBearerAuth()
@Controller('known-faces')
export class KnownFacesController {
  constructor(private readonly knownFaces: KnownFacesService) {}

  @Post('rescan')
  @Scope('admin')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Enrol KNOWN_FACES_DIR now: new and changed files enrolled, removed ones dropped (processors also rescan every KNOWN_FACES_RESCAN_MS)',
  })
  @ApiResponse({ status: 200, type: KnownFacesReportDto })
  rescan(): Promise<KnownFacesReportDto> {
    return this.knownFaces.rescan();
  }

  /** The tombstones of forgotten known faces (content hashes of files whose person was deleted). */
  @Delete('forgotten')
  @Scope('admin')
  @ApiOperation({ summary: 'Forget the forgetting: every known-faces file of a deleted person is enrolled again at the next start' })
  @ApiResponse({ status: 200, type: ClearedForgottenDto })
  async clearForgotten(@Actor() actor: string): Promise<ClearedForgottenDto> {
    return { cleared: await this.knownFaces.clearForgotten(actor) };
  }
}
