import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Scope } from '@visage/access';
import { DescriptorsService } from './descriptors.service';
import { DescriptorProgressDto } from './dto/descriptors.dto';

@ApiTags('descriptors')
@ApiBearerAuth()
@Controller('descriptors')
export class DescriptorsController {
  constructor(private readonly descriptors: DescriptorsService) {}

  @Get()
  @Scope('read')
  @ApiOperation({
    summary: 'How far stored descriptors have moved to FACE_DESCRIPTOR_RECIPE',
    description:
      'Enrolments and faces of the configured recipe, still waiting for the re-description job, or failed (docs/processor.md, "Re-description job").',
  })
  @ApiResponse({ status: 200, type: DescriptorProgressDto })
  progress(): Promise<DescriptorProgressDto> {
    return this.descriptors.progress();
  }
}
