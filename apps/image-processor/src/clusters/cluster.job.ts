import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy, Optional } from '@nestjs/common';
import { ScheduledJob, yieldToEventLoop } from '@visage/domain';
import { ClusterChanges, ClusterIndex, meanDescriptor } from '@visage/matcher';
import { ClusteringWrite, DatabaseLock, FaceClusterRepository, LockRepository, UnknownFace } from '@visage/persistence';
import { PROCESSOR_SETTINGS, ProcessorSettings } from '../processor.settings';
import { REMATCH_JOB_SCHEDULED } from '../rematch/rematch.job';

/** SQLite lease of the job lock (a run over 100,000 new faces takes well under a minute). */
const LEASE_MS = 5 * 60_000;
/** Faces read and written per transaction. */
export const CLUSTER_BATCH_SIZE = 1_000;
/**
 * How often a run also looks for faces that became unknown after they were named (re-match, "Not <name>", a
 * deleted person) and drops named faces from their groups: a scan of every unknown face, so not on every tick.
 */
export const CLUSTER_SWEEP_EVERY_MS = 60_000;

export type ClusterReport =
  | { ran: false; reason: 'already_running' | 'locked' }
  | {
      ran: true;
      /** Unknown faces placed in a group by this run. */
      faces: number;
      /** Groups started by this run. */
      created: number;
      /** Groups absorbed by another. */
      merged: number;
      /** Named faces taken out of their groups (sweep runs only). */
      pruned: number;
      /** Groups whose centroid was recomputed (a face was removed from them). */
      recomputed: number;
      swept: boolean;
    };

/**
 * Groups unknown faces into candidate people ({@link ClusterIndex}: nearest centroid within CLUSTER_THRESHOLD,
 * then merging), incrementally: each run places the faces stored since the last one (one primary-key range),
 * and now and then ({@link CLUSTER_SWEEP_EVERY_MS}) also the faces that became unknown after a re-match and
 * drops faces named since. One replica at a time (DatabaseLock.FaceClustering); the groups are reloaded each
 * run, so a run on another replica, or the review's corrections, are never overwritten by a stale copy.
 */
@Injectable()
export class ClusterJob implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Clusters');
  private readonly runs: ScheduledJob;
  private lastSweep = 0;
  /** The groups as this replica last wrote them, with the fingerprint they had then (reloaded when it differs). */
  private cached?: { index: ClusterIndex; fingerprint: string };

  constructor(
    private readonly clusters: FaceClusterRepository,
    locks: LockRepository,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
    // The background identity jobs (re-match, clustering) are started or not together.
    @Optional() @Inject(REMATCH_JOB_SCHEDULED) private readonly scheduled: boolean = true,
  ) {
    this.runs = new ScheduledJob({ name: 'clustering', schedule: { everyMs: settings.rematchEveryMs }, lock: locks.jobLock(DatabaseLock.FaceClustering, { leaseMs: LEASE_MS }), logger: this.logger });
  }

  onApplicationBootstrap(): void {
    if (this.scheduled) this.runs.start(() => this.tick());
  }

  onModuleDestroy(): void {
    this.runs.stop();
  }

  async tick(): Promise<ClusterReport | undefined> {
    return this.runs.logFailure(async () => {
      const report = await this.runOnce();
      if (report.ran && (report.faces > 0 || report.merged > 0 || report.pruned > 0)) {
        this.logger.log(
          `grouped ${report.faces} unknown face(s): ${report.created} new group(s), ${report.merged} merged, ${report.pruned} named face(s) left their group`,
        );
      }
      return report;
    });
  }


  /** One run; `sweep` forces the look at faces that became unknown (default: every CLUSTER_SWEEP_EVERY_MS). */
  runOnce(options: { sweep?: boolean } = {}): Promise<ClusterReport> {
    return this.runs.once(() =>
      this.runs.locked(async () => {
        const sweep = options.sweep ?? Date.now() - this.lastSweep >= CLUSTER_SWEEP_EVERY_MS;
        const report = await this.cluster(sweep);
        if (sweep) this.lastSweep = Date.now();
        return report;
      }),
    );
  }

  private async cluster(sweep: boolean): Promise<ClusterReport> {
    const pruned = sweep ? await this.clusters.pruneNamedFaces() : 0;
    // Reloading thousands of centroids is most of an incremental run: keep them while nobody else changed them.
    const fingerprint = await this.clusters.fingerprint();
    const reuse = this.cached?.fingerprint === fingerprint;
    const stored = reuse ? [] : await this.clusters.loadClusters();
    const index = reuse && this.cached ? this.cached.index : new ClusterIndex(this.settings.clusterThreshold, stored);
    this.cached = undefined;

    // Groups a face was removed from: their centroid from the remaining members.
    const cleaned: number[] = [];
    for (const cluster of stored.filter((one) => one.dirty)) {
      const members = await this.clusters.memberDescriptors(cluster.id);
      index.replace(cluster.id, members.length, members.length > 0 ? meanDescriptor(members) : cluster.centroid);
      cleaned.push(cluster.id);
    }
    let changes: ClusterChanges = { touched: new Set(cleaned), merged: new Map() };
    // Groups created or moved by this run: the only ones merging needs to compare with the others.
    const touchedThisRun = new Set<number>(cleaned);
    let faces = 0;
    let created = 0;
    const place = async (batch: UnknownFace[]): Promise<void> => {
      const members: ClusteringWrite['members'] = [];
      for (const face of batch) {
        const { clusterId, created: isNew } = index.add(face.id, face.descriptor, changes);
        members.push({ faceId: face.id, clusterId });
        if (isNew) created++;
      }
      await this.write(index, changes, members, cleaned.splice(0));
      for (const id of changes.touched) touchedThisRun.add(id);
      changes = { touched: new Set(), merged: new Map() };
      faces += batch.length;
      await yieldToEventLoop();
    };

    for (let afterId = await this.clusters.clusteredUpTo(); ; ) {
      const batch = await this.clusters.unknownFacesAfter(afterId, CLUSTER_BATCH_SIZE);
      if (batch.length === 0) break;
      await place(batch);
      afterId = batch[batch.length - 1].id;
    }
    if (sweep) {
      for (let afterId = 0; ; ) {
        const batch = await this.clusters.unclusteredUnknownFaces(afterId, CLUSTER_BATCH_SIZE);
        if (batch.length === 0) break;
        await place(batch);
        afterId = batch[batch.length - 1].id;
      }
    }
    let merged = 0;
    for (const id of changes.touched) touchedThisRun.add(id);
    if (touchedThisRun.size > 0) {
      const merging = index.merge({ touched: touchedThisRun, merged: new Map() });
      merged = merging.merged.size;
      await this.write(index, merging, [], cleaned.splice(0));
    }
    this.cached = { index, fingerprint: await this.clusters.fingerprint() };
    return { ran: true, faces, created, merged, pruned, recomputed: stored.filter((one) => one.dirty).length, swept: sweep };
  }

  private async write(index: ClusterIndex, changes: ClusterChanges, members: ClusteringWrite['members'], cleaned: number[]): Promise<void> {
    const clusters = [...changes.touched].flatMap((id) => {
      const cluster = index.get(id);
      return cluster ? [cluster] : [];
    });
    await this.clusters.write({ clusters, members, merged: changes.merged, cleaned });
  }
}
