import { Injectable } from '@nestjs/common';
import { DataSource, In, IsNull, LessThanOrEqual, Not } from 'typeorm';
import { EventType, OutcomeStatus, VisageEvent } from '@visage/domain';
import { OutcomeEventEntity, OutcomeEventFaceEntity, WebhookDeliveryEntity } from './outcome-event.entity';
import { truncateError } from '../shared/database-errors';
import { runInTransaction, Statement, toStatement } from '../shared/transactions';
import { toFaceBox } from '../shared/box-columns';

/** An outbox row and the event it holds. */
export interface StoredOutcomeEvent {
  rowId: number;
  event: VisageEvent;
}

/** A webhook delivery that is due, with its event. */
export interface DueWebhookDelivery {
  id: number;
  endpoint: string;
  /** Failed attempts so far. */
  attempts: number;
  event: VisageEvent;
}

const MAX_ERROR_LENGTH = 500;

/**
 * The outcome-event outbox (outcomes and erasures) as its relay sees it: events not yet on the queue, marking them published (and
 * queueing their webhook deliveries in the same transaction), the deliveries due per endpoint and their results.
 * Events are written by the repositories that make the changes ({@link outcomeEventStatements}).
 */
@Injectable()
export class OutcomeEventRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Up to `limit` events not yet published, oldest first. */
  async unpublished(limit: number): Promise<StoredOutcomeEvent[]> {
    const rows = await this.events().find({ where: { publishedAt: IsNull() }, order: { id: 'ASC' }, take: limit });
    return this.withFaces(rows);
  }

  countUnpublished(): Promise<number> {
    return this.events().count({ where: { publishedAt: IsNull() } });
  }

  /**
   * The events are on the queue: stamped `published_at`, and one delivery due now per webhook endpoint, in one
   * transaction (a relay that dies before it republishes them: at least once).
   */
  async markPublished(rowIds: readonly number[], endpoints: readonly string[], now = new Date()): Promise<void> {
    if (rowIds.length === 0) return;
    const statements: Statement[] = [
      toStatement(
        this.dataSource
          .createQueryBuilder()
          .update(OutcomeEventEntity)
          .set({ publishedAt: now })
          .where('id IN (:...rowIds) AND published_at IS NULL', { rowIds: [...rowIds] }),
      ),
    ];
    if (endpoints.length > 0) {
      statements.push(
        toStatement(
          this.dataSource
            .createQueryBuilder()
            .insert()
            .into(WebhookDeliveryEntity)
            .values(rowIds.flatMap((eventRowId) => endpoints.map((endpoint) => ({ eventRowId, endpoint, attempts: 0, nextAttemptAt: now }))))
            .updateEntity(false),
        ),
      );
    }
    await runInTransaction(this.dataSource, statements);
  }

  /** Up to `limit` deliveries to `endpoint` due by `now`, the longest due first. */
  async dueDeliveries(endpoint: string, limit: number, now = new Date()): Promise<DueWebhookDelivery[]> {
    const deliveries = await this.deliveries().find({
      where: { endpoint, nextAttemptAt: LessThanOrEqual(now) },
      order: { nextAttemptAt: 'ASC', id: 'ASC' },
      take: limit,
    });
    if (deliveries.length === 0) return [];
    const events = new Map(
      (await this.withFaces(await this.events().find({ where: { id: In(deliveries.map((delivery) => delivery.eventRowId)) } }))).map((stored) => [
        stored.rowId,
        stored.event,
      ]),
    );
    return deliveries.flatMap((delivery) => {
      const event = events.get(delivery.eventRowId);
      return event ? [{ id: delivery.id, endpoint: delivery.endpoint, attempts: delivery.attempts, event }] : [];
    });
  }

  /** Delivered, or given up: the row goes. */
  async finishDelivery(id: number): Promise<void> {
    await this.deliveries().delete({ id });
  }

  /** A failed attempt: counted, with its error, due again at `nextAttemptAt`. */
  async postponeDelivery(id: number, nextAttemptAt: Date, error: string): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .update(WebhookDeliveryEntity)
      .set({ attempts: () => 'attempts + 1', nextAttemptAt, lastError: truncateError(error, MAX_ERROR_LENGTH) })
      .where('id = :id', { id })
      .execute();
  }

  /** Deliveries to endpoints no longer configured are dropped (WEBHOOK_URLS changed). Returns how many. */
  async dropDeliveriesExcept(endpoints: readonly string[]): Promise<number> {
    const result = await this.deliveries().delete(endpoints.length > 0 ? { endpoint: Not(In([...endpoints])) } : {});
    return result.affected ?? 0;
  }

  /** Deliveries still waiting, per endpoint. */
  async pendingDeliveries(): Promise<Map<string, number>> {
    const rows = await this.deliveries()
      .createQueryBuilder('delivery')
      .select(['delivery.endpoint AS endpoint', 'COUNT(*) AS pending'])
      .groupBy('delivery.endpoint')
      .getRawMany<{ endpoint: string; pending: number | string }>();
    return new Map(rows.map((row) => [row.endpoint, Number(row.pending)]));
  }

  /** Events published before `publishedBefore` whose webhook deliveries are all done are deleted. Returns how many. */
  async prunePublished(publishedBefore: Date, limit = 1_000): Promise<number> {
    const rows = await this.events()
      .createQueryBuilder('event')
      .select('event.id', 'id')
      .where('event.published_at IS NOT NULL AND event.published_at < :publishedBefore', { publishedBefore })
      .andWhere('NOT EXISTS (SELECT 1 FROM webhook_deliveries WHERE webhook_deliveries.event_row_id = event.id)')
      .orderBy('event.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number | string }>();
    if (rows.length === 0) return 0;
    const result = await this.events().delete({ id: In(rows.map((row) => Number(row.id))) });
    return result.affected ?? rows.length;
  }

  private async withFaces(rows: OutcomeEventEntity[]): Promise<StoredOutcomeEvent[]> {
    if (rows.length === 0) return [];
    const faces = await this.dataSource
      .getRepository(OutcomeEventFaceEntity)
      .find({ where: { eventRowId: In(rows.map((row) => row.id)) }, order: { eventRowId: 'ASC', faceId: 'ASC' } });
    const byEvent = new Map<number, OutcomeEventFaceEntity[]>();
    for (const face of faces) {
      const ofEvent = byEvent.get(face.eventRowId);
      if (ofEvent) ofEvent.push(face);
      else byEvent.set(face.eventRowId, [face]);
    }
    return rows.map((row) => ({ rowId: row.id, event: toEvent(row, byEvent.get(row.id) ?? []) }));
  }

  private events() {
    return this.dataSource.getRepository(OutcomeEventEntity);
  }

  private deliveries() {
    return this.dataSource.getRepository(WebhookDeliveryEntity);
  }
}

/** The event as published: keys in the documented order, so the bytes of a redelivery are the same. */
function toEvent(row: OutcomeEventEntity, faces: OutcomeEventFaceEntity[]): VisageEvent {
  const at = new Date(row.createdAt).toISOString();
  const type = row.eventType as EventType;
  switch (type) {
    case 'person.deleted':
      return { eventId: row.eventId, type, personId: Number(row.personId), at };
    case 'image.deleted':
      return { eventId: row.eventId, type, imageId: Number(row.imageId), at };
    case 'image.outcome':
      return {
        eventId: row.eventId,
        type,
        imageId: Number(row.imageId),
        path: row.path ?? '',
        status: row.status as OutcomeStatus,
        faces: faces.map((face) => ({
          faceId: face.faceId,
          personId: face.personId,
          personName: face.personName,
          distance: face.distance,
          box: toFaceBox(face.box),
        })),
        galleryVersion: Number(row.galleryVersion),
        at,
      };
  }
}
