import { BadRequestException } from '@nestjs/common';
import { IMAGE_STATUSES, ImageStatus, isImageStatus, parseRouteId } from '@visage/domain';

export const MAX_SEARCH_LENGTH = 200;

export interface ImagesFilterQuery {
  status?: ImageStatus;
  search?: string;
  /** `?person=<id>`: where this person appears (the people page links here). */
  personId?: number;
}

export interface ImagesPageQuery extends ImagesFilterQuery {
  older?: number;
  newer?: number;
}

type RawQuery = Record<string, unknown>;

function text(raw: RawQuery, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadRequestException(`"${key}" must be given once, as text`);
  return value.trim() || undefined;
}

function cursor(raw: RawQuery, key: string): number | undefined {
  const value = text(raw, key);
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new BadRequestException(`"${key}" must be an image id (a positive whole number)`);
  return Number(value);
}

/** Status and search, shared by the page and the live-update endpoint; unknown values are a clear 400. */
export function parseFilter(raw: RawQuery): ImagesFilterQuery {
  const status = text(raw, 'status');
  if (status !== undefined && !isImageStatus(status)) {
    throw new BadRequestException(`"status" must be one of ${IMAGE_STATUSES.join(', ')}`);
  }
  const search = text(raw, 'q');
  if (search !== undefined && search.length > MAX_SEARCH_LENGTH) {
    throw new BadRequestException(`the search text must be at most ${MAX_SEARCH_LENGTH} characters`);
  }
  const person = text(raw, 'person');
  const personId = person === undefined ? undefined : parseRouteId(person);
  if (person !== undefined && personId === undefined) throw new BadRequestException('"person" must be a person id (a positive whole number)');
  return { status, search, personId };
}

export function parsePageQuery(raw: RawQuery): ImagesPageQuery {
  const older = cursor(raw, 'older');
  const newer = cursor(raw, 'newer');
  if (older !== undefined && newer !== undefined) throw new BadRequestException('give either "older" or "newer", not both');
  return { ...parseFilter(raw), older, newer };
}

export function parseSince(raw: RawQuery): Date {
  const value = text(raw, 'since');
  const date = value === undefined ? undefined : new Date(value);
  if (!value || !/^\d{4}-\d\d-\d\dT/.test(value) || !date || Number.isNaN(date.getTime())) {
    throw new BadRequestException('"since" must be an ISO 8601 time such as 2024-01-31T12:00:00.000Z');
  }
  return date;
}
