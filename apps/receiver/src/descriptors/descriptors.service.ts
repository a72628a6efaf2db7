import { Injectable } from '@nestjs/common';
import { RedescriptionRepository } from '@visage/persistence';
import { DescriptorProgressDto } from './dto/descriptors.dto';

/** How far the re-description job has moved stored descriptors to the configured recipe. */
@Injectable()
export class DescriptorsService {
  constructor(private readonly redescription: RedescriptionRepository) {}

  progress(): Promise<DescriptorProgressDto> {
    return this.redescription.progress();
  }
}
