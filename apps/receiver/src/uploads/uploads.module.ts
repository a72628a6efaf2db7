import { Module } from '@nestjs/common';
import { UploadReceiver } from './upload-receiver';

/** Upload bodies (multipart or raw image) streamed into the content-addressed store under IMAGES_ROOT. */
@Module({
  providers: [UploadReceiver],
  exports: [UploadReceiver],
})
export class UploadsModule {}
