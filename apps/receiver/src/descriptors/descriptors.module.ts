import { Module } from '@nestjs/common';
import { DescriptorsController } from './descriptors.controller';
import { DescriptorsService } from './descriptors.service';

/** The repository comes from the global PersistenceModule. */
@Module({ controllers: [DescriptorsController], providers: [DescriptorsService] })
export class DescriptorsModule {}
