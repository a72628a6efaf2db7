import { Controller, Delete } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { Actor } from '@visage/auth';
import { PersonImageRepository } from '@visage/persistence';

export class ClearedForgottenDto {
  @ApiProperty({ example: 2, description: 'Tombstones removed: those files are enrolled again at the next start' }) cleared!: number;
}

/** The tombstones of forgotten known faces (content hashes of files whose person was deleted). */
@ApiTags('persons')
@ApiBearerAuth()
@Scope('admin')
@Controller('known-faces/forgotten')
export class KnownFacesController {
  constructor(private readonly enrolments: PersonImageRepository) {}

  @Delete()
  @ApiOperation({ summary: 'Forget the forgetting: every known-faces file of a deleted person is enrolled again at the next start' })
  @ApiResponse({ status: 200, type: ClearedForgottenDto })
  async clear(@Actor() actor: string): Promise<ClearedForgottenDto> {
    return { cleared: await this.enrolments.clearForgottenKnownFaces({ actor, action: 'known_faces.unforgotten', target: 'known-faces' }) };
  }
}
