import { Module } from '@nestjs/common';
import { KeysController } from './keys.controller';

/** ApiKeyService comes from AuthModule (imported by ReceiverModule). */
@Module({ controllers: [KeysController] })
export class KeysModule {}
