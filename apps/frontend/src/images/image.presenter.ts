import { createHash } from 'node:crypto';
import { IMAGE_STATUSES, ImageStatus } from '@visage/domain';
import { ImageListRow, StatusCounts } from '@visage/persistence';
import { thumbnailUrl } from '../thumbnails/thumbnail.service';

export const STATUS_LABELS: Record<ImageStatus, string> = {
  pending: 'Pending',
  processing: 'Processing',
  retrying: 'Retrying',
  processed: 'Processed',
  unrecognized: 'Unrecognized',
  failed: 'Failed',
};

/** One table row, as rendered by the template and as sent to the live-update script (same field names). */
export interface ImageRowView {
  id: number;
  path: string;
  status: ImageStatus;
  statusLabel: string;
  detailUrl: string;
  thumbnailUrl: string;
  persons: string[];
  faceCount: number;
  attempts: number;
  lastError: string;
  updatedAt: string;
  updatedText: string;
  /**
   * Changes when anything shown changes. The live script compares this rather than `updatedAt`, because
   * SQLite's CURRENT_TIMESTAMP has whole seconds: two changes within one second share a timestamp.
   */
  version: string;
}

export function formatTime(date: Date | null | undefined): string {
  return date
    ? date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC')
    : '';
}

export function presentImageRow(row: ImageListRow): ImageRowView {
  const shown = [row.updatedAt.toISOString(), row.status, row.attempts, row.faceCount, row.lastError ?? '', ...row.persons.map((p) => p.id)];
  return {
    id: row.id,
    path: row.path,
    status: row.status,
    statusLabel: STATUS_LABELS[row.status] ?? row.status,
    detailUrl: `/images/${row.id}`,
    thumbnailUrl: thumbnailUrl(row.path, 80),
    persons: row.persons.map((person) => person.name),
    faceCount: row.faceCount,
    attempts: row.attempts,
    lastError: row.lastError ?? '',
    updatedAt: row.updatedAt.toISOString(),
    updatedText: formatTime(row.updatedAt),
    version: createHash('sha1').update(JSON.stringify(shown)).digest('base64url').slice(0, 16),
  };
}

export interface StatusCountView {
  status: ImageStatus;
  label: string;
  count: number;
  href: string;
  active: boolean;
}

export function presentCounts(
  counts: StatusCounts,
  active: ImageStatus | undefined,
  search: string | undefined,
  personId?: number,
): StatusCountView[] {
  return IMAGE_STATUSES.map((status) => ({
    status,
    label: STATUS_LABELS[status],
    count: counts[status],
    href: imagesHref({ status, search, personId }),
    active: status === active,
  }));
}

export function imagesHref(params: { status?: ImageStatus; search?: string; personId?: number; older?: number; newer?: number }): string {
  const query = new URLSearchParams();
  if (params.status) query.set('status', params.status);
  if (params.search) query.set('q', params.search);
  if (params.personId !== undefined) query.set('person', String(params.personId));
  if (params.older !== undefined) query.set('older', String(params.older));
  if (params.newer !== undefined) query.set('newer', String(params.newer));
  const text = query.toString();
  return text ? `/?${text}` : '/';
}
