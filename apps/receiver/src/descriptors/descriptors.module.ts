import { Module } from '@nestjs/common';
import { DescriptorsController } from './descriptors.controller';

/** The repository comes from the global PersistenceModule. */
@Module({ controllers: [DescriptorsController] })
export class DescriptorsModule {}
