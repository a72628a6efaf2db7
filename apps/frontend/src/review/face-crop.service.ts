import { Injectable } from '@nestjs/common';
import { ConfigService } from '@visage/config';
import { FaceCropCache } from '@visage/storage';

/** The shared face-crop renderer and cache, configured once for the dashboard (same rules as thumbnails). */
@Injectable()
export class FaceCropService extends FaceCropCache {
  constructor(config: ConfigService) {
    super({ root: config.get('storage').imagesRoot, maxBytes: config.get('MAX_IMAGE_BYTES'), maxPixels: config.get('MAX_IMAGE_PIXELS') });
  }
}
