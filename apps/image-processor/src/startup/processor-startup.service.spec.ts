import { Logger } from '@nestjs/common';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH } from '@visage/domain';
import { KnownFacesEnroller, KnownFacesReport } from '@visage/enrolment';
import { GalleryEntry, GalleryService, GallerySource } from '@visage/matcher';
import { DatabaseLock, LockRepository, PersonImageRepository } from '@visage/persistence';
import { FakeConsumer } from '../../test/fakes';
import { RedescriptionJob } from '../redescription/redescription.job';
import { ConsumptionGate } from './consumption-gate';
import { ProcessorStartup, StartupTimings } from './processor-startup.service';
import { FakeFaceAnalyzer } from '../../../../test/support/fake-face-analyzer';
import { sleep, until } from '../../../../test/support/until';

const FAST: StartupTimings = { pollMs: 1, retryInitialMs: 1, retryMaxMs: 4, maxEnrolmentRounds: 3 };

/** Everything the start-up touches writes to one journal, so the tests can check the order of events. */
class Journal {
  readonly events: string[] = [];
  add(event: string): void {
    if (this.events.at(-1) !== event) this.events.push(event);
  }
}

/** The enrolments table: the enroller adds to it, the gallery reads it. */
class FakeEnrolments implements GallerySource {
  entries: GalleryEntry[] = [];
  constructor(private readonly journal: Journal) {}
  async version(): Promise<number> {
    return this.entries.length;
  }
  async loadGallery(): Promise<{ version: number; entries: GalleryEntry[] }> {
    this.journal.add(`gallery loaded ${this.entries.length}`);
    return { version: this.entries.length, entries: [...this.entries] };
  }
}

class FakeEnroller {
  runs = 0;
  /** Reports of the next runs (a run with failures is retried); default: every file enrolled. */
  readonly script: Array<Partial<KnownFacesReport> | Error> = [];
  constructor(
    private readonly journal: Journal,
    private readonly table: FakeEnrolments,
  ) {}
  async enrolAll(): Promise<KnownFacesReport> {
    this.runs += 1;
    this.journal.add('enrol');
    const next = this.script.shift();
    if (next instanceof Error) throw next;
    this.table.entries.push({
      personId: this.runs,
      personName: `person ${this.runs}`,
      descriptor: new Float32Array(DESCRIPTOR_LENGTH).fill(this.runs),
    });
    return { enrolled: ['a_1.jpg'], unchanged: [], removed: [], skipped: [], failed: [], forgotten: [], ...next };
  }
}

/** The re-description of enrolments of another descriptor recipe: one enrolment of the old recipe enters the gallery. */
class FakeRedescription {
  constructor(
    private readonly journal: Journal,
    private readonly table: FakeEnrolments,
  ) {}
  async redescribeEnrolments(): Promise<{ done: number; failed: number }> {
    this.journal.add('redescribe');
    this.table.entries.push({ personId: 99, personName: 'enrolled before the switch', descriptor: new Float32Array(DESCRIPTOR_LENGTH).fill(9) });
    return { done: 1, failed: 0 };
  }
}

/** The lock repository as one replica sees it: `heldElsewhere` stands for another replica enrolling. */
class FakeLocks {
  heldElsewhere = false;
  acquired: DatabaseLock[] = [];
  constructor(private readonly journal: Journal) {}
  async withLock<T>(lock: DatabaseLock, fn: () => Promise<T>): Promise<T> {
    await until(() => !this.heldElsewhere, 'the other replica to release the lock', 60_000, 1);
    this.acquired.push(lock);
    this.journal.add('lock');
    try {
      return await fn();
    } finally {
      this.journal.add('unlock');
    }
  }
}

describe('ProcessorStartup: no message taken before the recognizer serves, the known faces are enrolled and the gallery holds them', () => {
  let journal: Journal;
  let consumer: FakeConsumer;
  let gate: ConsumptionGate;
  let analyzer: FakeFaceAnalyzer;
  let table: FakeEnrolments;
  let enroller: FakeEnroller;
  let locks: FakeLocks;
  let gallery: GalleryService;
  let startup: ProcessorStartup;

  beforeAll(() => Logger.overrideLogger(false));

  function build(options: { withEnroller?: boolean; withRedescription?: boolean } = {}): void {
    journal = new Journal();
    consumer = new FakeConsumer();
    const consumerPause = consumer.pause.bind(consumer);
    const consumerResume = consumer.resume.bind(consumer);
    consumer.pause = () => {
      journal.add('pause');
      consumerPause();
    };
    consumer.resume = () => {
      journal.add('resume');
      consumerResume();
    };
    gate = new ConsumptionGate(consumer);
    analyzer = new FakeFaceAnalyzer();
    analyzer.serving = false;
    table = new FakeEnrolments(journal);
    enroller = new FakeEnroller(journal, table);
    locks = new FakeLocks(journal);
    // The periodic refresh is far away: only the start-up's own reload can load the enrolment.
    gallery = new GalleryService(table, { rule: { threshold: 0.49, margin: 0.08 }, refreshMs: 3_600_000 });
    startup = new ProcessorStartup(
      gate,
      analyzer,
      locks as unknown as LockRepository,
      gallery,
      table as unknown as PersonImageRepository,
      options.withEnroller === false ? undefined : (enroller as unknown as KnownFacesEnroller),
      FAST,
      options.withRedescription ? (new FakeRedescription(journal, table) as unknown as RedescriptionJob) : undefined,
    );
  }

  /** What Nest does around the consumer: module init (gallery, then start-up), listen, bootstrap. */
  async function boot(): Promise<void> {
    await gallery.onModuleInit();
    startup.onModuleInit();
    startup.onApplicationBootstrap();
  }

  afterEach(() => {
    startup.onModuleDestroy();
    gallery.onModuleDestroy();
  });

  it('pauses at init, waits for SERVING, enrols under the lock, reloads the gallery, and only then resumes', async () => {
    build();
    await boot();
    expect(consumer.paused).toBe(true);
    await until(() => analyzer.probeCalls >= 3, 'a few health probes');
    expect(startup.stage).toBe('waiting_for_recognizer');
    expect(enroller.runs).toBe(0);
    expect(consumer.paused).toBe(true);

    analyzer.serving = true;
    await startup.whenFinished();
    expect(journal.events).toEqual(['gallery loaded 0', 'pause', 'lock', 'enrol', 'unlock', 'gallery loaded 1', 'resume']);
    expect(locks.acquired).toEqual([DatabaseLock.KnownFacesEnrolment]);
    expect(startup.status()).toEqual({ stage: 'consuming', version: 1, descriptors: 1, persons: 1 });
    expect(consumer.paused).toBe(false);
  });

  it('re-describes the enrolments of another descriptor recipe under the lock, after the known faces and before consuming', async () => {
    build({ withRedescription: true });
    analyzer.serving = true;
    await boot();
    await startup.whenFinished();
    expect(journal.events).toEqual([
      'gallery loaded 0',
      'pause',
      'lock',
      'enrol',
      'unlock',
      'lock',
      'redescribe',
      'unlock',
      'gallery loaded 2',
      'resume',
    ]);
    expect(locks.acquired).toEqual([DatabaseLock.KnownFacesEnrolment, DatabaseLock.KnownFacesEnrolment]);
    expect(startup.status()).toMatchObject({ stage: 'consuming', descriptors: 2 });
  });

  it('waits while another replica holds the enrolment lock, still paused', async () => {
    build();
    analyzer.serving = true;
    locks.heldElsewhere = true;
    await boot();
    await until(() => startup.stage === 'enrolling_known_faces', 'the enrolment stage');
    // Give the start-up many chances to get past the lock it cannot have.
    await sleep(50);
    expect(enroller.runs).toBe(0);
    expect(consumer.paused).toBe(true);

    locks.heldElsewhere = false;
    await startup.whenFinished();
    expect(enroller.runs).toBe(1);
    expect(consumer.paused).toBe(false);
  });

  it('the circuit closing during start-up does not resume the consumer; the start-up finishing does not resume an open circuit', async () => {
    build();
    const breakerView = gate.consumerFor('circuit_open');
    await boot();
    breakerView.pause();
    breakerView.resume();
    expect(consumer.paused).toBe(true);

    breakerView.pause();
    analyzer.serving = true;
    await startup.whenFinished();
    expect(startup.stage).toBe('consuming');
    expect(consumer.paused).toBe(true);
    expect(gate.heldBy).toEqual(['circuit_open']);
    breakerView.resume();
    expect(consumer.paused).toBe(false);
  });

  it('a shutdown that paused the consumer through the gate is not undone by the start-up finishing', async () => {
    build();
    await boot();
    gate.hold('stopping');
    analyzer.serving = true;
    await startup.whenFinished();
    expect(startup.stage).toBe('consuming');
    expect(consumer.paused).toBe(true);
    expect(gate.heldBy).toEqual(['stopping']);
  });

  it('retries an enrolment that threw (database down) and files the recognizer failed on transiently', async () => {
    build();
    analyzer.serving = true;
    enroller.script.push(new Error('connect ECONNREFUSED'), { failed: [{ file: 'b_1.jpg', reason: 'UNAVAILABLE' }] });
    await boot();
    await startup.whenFinished();
    expect(enroller.runs).toBe(3);
    expect(journal.events.filter((event) => event === 'unlock')).toHaveLength(3);
    expect(startup.status()).toMatchObject({ stage: 'consuming', descriptors: 2 });
  });

  it('consumes anyway after maxEnrolmentRounds of transient failures (they are logged, not blocking forever)', async () => {
    build();
    analyzer.serving = true;
    const failing = { failed: [{ file: 'b_1.jpg', reason: 'UNAVAILABLE' }] };
    enroller.script.push(failing, failing, failing, failing);
    await boot();
    await startup.whenFinished();
    expect(enroller.runs).toBe(FAST.maxEnrolmentRounds);
    expect(startup.stage).toBe('consuming');
    expect(consumer.paused).toBe(false);
  });

  it('without an enroller (a fake recognizer is bound) it still waits for SERVING and loads the gallery', async () => {
    build({ withEnroller: false });
    table.entries.push({ personId: 1, personName: 'ada', descriptor: new Float32Array(DESCRIPTOR_LENGTH) });
    await boot();
    expect(consumer.paused).toBe(true);
    analyzer.serving = true;
    await startup.whenFinished();
    expect(locks.acquired).toEqual([]);
    expect(startup.status()).toEqual({ stage: 'consuming', version: 1, descriptors: 1, persons: 1 });
    expect(consumer.paused).toBe(false);
  });

  it('shutting down during start-up ends it without resuming', async () => {
    build();
    await boot();
    startup.onModuleDestroy();
    await startup.whenFinished();
    expect(startup.stage).toBe('waiting_for_recognizer');
    expect(consumer.paused).toBe(true);
  });
});
