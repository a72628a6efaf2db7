import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DescriptorRecipe, LEGACY_DESCRIPTOR_RECIPE, ScheduledJobProvider, yieldToEventLoop } from '@visage/domain';
import { ClusterIndex, MIN_GROUPED_FACE_PX } from '@visage/matcher';
import { ClusteringRepository, ClusteringWrite, DatabaseLock, LockRepository, UnknownFace } from '@visage/persistence';
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
      /** Groups written again after a face left them outside the job (review, naming, erasure). */
      recomputed: number;
      swept: boolean;
      /** The groups were started again (first run of this rule, or CLUSTER_THRESHOLD changed). */
      regrouped: boolean;
    };

/**
 * The grouping rule, its threshold and the descriptor recipe, as stored with the groups: the groups are made again
 * when it changes (a group never mixes recipes). `crop` is left out: groups made before recipes were `crop`.
 */
export function clusteringRule(threshold: number, recipe: DescriptorRecipe): string {
  return `average-linkage@${threshold}${recipe === LEGACY_DESCRIPTOR_RECIPE ? '' : `/${recipe}`}`;
}

/**
 * Groups unknown faces into candidate people ({@link ClusterIndex}: average linkage against the members within
 * CLUSTER_THRESHOLD, cannot-links for faces of one image and faces the review split off), incrementally: each run
 * places the faces stored since the last one (one primary-key range), and now and then
 * ({@link CLUSTER_SWEEP_EVERY_MS}) also the faces that became unknown after a re-match or were split off a group,
 * and drops faces named since. Faces smaller than MIN_GROUPED_FACE_PX are never grouped. One replica at a time
 * (DatabaseLock.FaceClustering); the groups are reloaded whenever the table's fingerprint shows a change made
 * elsewhere, so a run on another replica, or the review's corrections, are never overwritten by a stale copy. A
 * full regroup happens only when the rule or CLUSTER_THRESHOLD differs from the one the stored groups were made with.
 */
@Injectable()
export class ClusterJob extends ScheduledJobProvider<ClusterReport> {
  private lastSweep = 0;
  /** The groups as this replica last wrote them, with the fingerprint they had then (reloaded when it differs). */
  private cached?: { index: ClusterIndex; fingerprint: string };

  constructor(
    private readonly clusters: ClusteringRepository,
    locks: LockRepository,
    @Inject(PROCESSOR_SETTINGS) private readonly settings: ProcessorSettings,
    // The background identity jobs (re-match, clustering) are started or not together.
    @Optional() @Inject(REMATCH_JOB_SCHEDULED) scheduled: boolean = true,
  ) {
    super({
      name: 'clustering',
      schedule: { everyMs: settings.rematchEveryMs },
      lock: locks.jobLock(DatabaseLock.FaceClustering, { leaseMs: LEASE_MS }),
      logger: new Logger('Clusters'),
      scheduled,
    });
  }

  protected override logReport(report: ClusterReport): void {
    if (report.ran && (report.faces > 0 || report.merged > 0 || report.pruned > 0)) {
      this.logger.log(
        `grouped ${report.faces} unknown face(s): ${report.created} new group(s), ${report.merged} merged, ${report.pruned} named face(s) left their group`,
      );
    }
  }

  /** One run; `sweep` forces the look at faces that became unknown (default: every CLUSTER_SWEEP_EVERY_MS). */
  override runOnce(options: { sweep?: boolean } = {}): Promise<ClusterReport> {
    return this.runs.once(() =>
      this.runs.locked(async () => {
        const sweep = options.sweep ?? Date.now() - this.lastSweep >= CLUSTER_SWEEP_EVERY_MS;
        const report = await this.cluster(sweep);
        if (sweep) this.lastSweep = Date.now();
        return report;
      }),
    );
  }

  private async cluster(sweepWanted: boolean): Promise<ClusterReport> {
    const rule = clusteringRule(this.settings.clusterThreshold, this.settings.descriptorRecipe);
    const regrouped = (await this.clusters.clusteringRule()) !== rule;
    if (regrouped) {
      await this.clusters.regroup(rule);
      this.cached = undefined;
    }
    // After a regroup every unknown face is ungrouped: only the sweep finds those before the newest member.
    const sweep = sweepWanted || regrouped;
    const pruned = sweep ? await this.clusters.pruneNamedFaces() : 0;
    // Reloading the groups' members is most of an incremental run: keep them while nobody else changed them.
    const fingerprint = await this.clusters.fingerprint();
    let index: ClusterIndex;
    const cleaned: number[] = [];
    if (this.cached?.fingerprint === fingerprint) {
      index = this.cached.index;
    } else {
      const { clusters: stored, maxId } = await this.clusters.loadClusters();
      index = new ClusterIndex(
        this.settings.clusterThreshold,
        stored.filter((cluster) => cluster.members.length > 0),
        maxId,
      );
      // Groups a face left outside the job: their size, centroid, cohesion and outliers are written again.
      cleaned.push(...stored.filter((cluster) => cluster.dirty).map((cluster) => cluster.id));
    }
    this.cached = undefined;
    const recomputed = cleaned.length;

    let faces = 0;
    let created = 0;
    let merged = 0;
    const place = async (batch: UnknownFace[]): Promise<void> => {
      for (const face of batch) if (index.add(face).created) created++;
      // After the whole batch: a later face may have merged the group an earlier one joined.
      const members = batch.map((face) => ({ faceId: face.id, clusterId: index.groupOf(face.id) ?? face.id }));
      merged += await this.write(index, members, cleaned.splice(0));
      faces += batch.length;
      await yieldToEventLoop();
    };
    for (let afterId = await this.clusters.clusteredUpTo(); ;) {
      const batch = await this.clusters.unknownFacesAfter(afterId, CLUSTER_BATCH_SIZE, MIN_GROUPED_FACE_PX);
      if (batch.length === 0) break;
      await place(batch);
      afterId = batch[batch.length - 1].id;
    }
    if (sweep) {
      for (let afterId = 0; ;) {
        const batch = await this.clusters.unclusteredUnknownFaces(afterId, CLUSTER_BATCH_SIZE, MIN_GROUPED_FACE_PX);
        if (batch.length === 0) break;
        await place(batch);
        afterId = batch[batch.length - 1].id;
      }
    }
    if (cleaned.length > 0) await this.write(index, [], cleaned);
    this.cached = { index, fingerprint: await this.clusters.fingerprint() };
    return { ran: true, faces, created, merged, pruned, recomputed, swept: sweep, regrouped };
  }

  /** Writes what the index changed since the last write (groups, merges, outliers) and the placed faces; returns the merges. */
  private async write(index: ClusterIndex, members: ClusteringWrite['members'], cleaned: number[]): Promise<number> {
    const changes = index.takeChanges();
    for (const id of cleaned) changes.touched.add(id);
    const clusters = [...changes.touched].flatMap((id) => {
      const cluster = index.get(id);
      return cluster ? [cluster] : [];
    });
    const outliers = index.outlierChanges(changes.touched);
    await this.clusters.write({ clusters, members, merged: changes.merged, cleaned, outliers });
    return changes.merged.size;
  }
}
