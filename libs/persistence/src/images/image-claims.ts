import { DataSource } from 'typeorm';
import { ImageEntity } from './image.entity';
import { recordOutcomeEvents } from '../events/outcome-events';
import { Statement } from '../shared/transactions';

/*
 * What the processor's writes to an image (`ImageProcessingRepository`) and the retry paths (`ImageRetryRepository`)
 * share: the lease test, the claim columns, the outcome event of a final failure. Time thresholds are computed from
 * this process's clock (all replicas are expected to run NTP); every update sets `updated_at` explicitly so SQLite
 * and MariaDB agree on precision and time zone.
 */

/** A claim whose holder stopped renewing it (`:now` bound by the caller); NULL: a claim from before leases existed. */
export const LEASE_EXPIRED = '(lease_expires_at IS NULL OR lease_expires_at < :now)';
/** Columns of a claim, cleared whenever the image leaves `processing`. */
export const NO_CLAIM = { claimedBy: null, claimedAt: null, leaseExpiresAt: null } as const;

export function updateImage(dataSource: DataSource) {
  return dataSource.createQueryBuilder().update(ImageEntity);
}

export function msBefore(ms: number, now: Date): Date {
  return new Date(now.getTime() - ms);
}

export function msAfter(ms: number, now: Date): Date {
  return new Date(now.getTime() + ms);
}

/** The outcome event of an image the same transaction made `failed` for good (none when it did not). */
export function failedEvent(dataSource: DataSource, imageId: number): Statement[] {
  return recordOutcomeEvents(dataSource, { imageIds: [imageId] }, { statuses: ['failed'], galleryVersion: 'current' });
}

/** The image's row (null: no such image). */
export function findImage(dataSource: DataSource, imageId: number): Promise<ImageEntity | null> {
  return dataSource.getRepository(ImageEntity).findOne({ where: { id: imageId } });
}
