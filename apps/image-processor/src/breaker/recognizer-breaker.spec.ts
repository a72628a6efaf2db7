import { afterEach, describe, expect, it } from 'vitest';
import { FakeConsumer } from '../../test/fakes';
import { BreakerOpenError, BreakerState, RecognizerBreaker } from './recognizer-breaker';
import { FakeFaceAnalyzer, corrupt, facesFromPath, unavailable } from '../../../../test/support/fake-face-analyzer';
import { ManualTimers } from '../../../../test/support/manual-timers';

const SETTINGS = { failureThreshold: 5, probeInitialMs: 10_000, probeMaxMs: 60_000, probeDeadlineMs: 1_000 };

describe('RecognizerBreaker', () => {
  let breaker: RecognizerBreaker;
  let analyzer: FakeFaceAnalyzer;
  let consumer: FakeConsumer;
  let timers: ManualTimers;
  let states: BreakerState[];

  function build(): void {
    analyzer = new FakeFaceAnalyzer(unavailable);
    consumer = new FakeConsumer();
    timers = new ManualTimers();
    breaker = new RecognizerBreaker(analyzer, SETTINGS, consumer, timers);
    states = [];
    breaker.onStateChange((state) => states.push(state));
  }

  afterEach(() => breaker?.shutdown());

  async function failTimes(count: number): Promise<void> {
    for (let index = 0; index < count; index++) await expect(breaker.analyze('a.jpg')).rejects.toThrow('ECONNREFUSED');
  }

  it('opens after 5 consecutive transient failures, pauses the consumer and makes no call while open', async () => {
    build();
    await failTimes(4);
    expect(breaker.state).toBe('closed');
    expect(consumer.pauses).toBe(0);
    await failTimes(1);
    expect(breaker.state).toBe('open');
    expect(consumer.pauses).toBe(1);
    expect(states).toEqual(['open']);

    const callsBefore = analyzer.analyzeCalls.length;
    const refused = await breaker.analyze('b.jpg').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BreakerOpenError);
    expect((refused as BreakerOpenError).retryInMs).toBeGreaterThan(0);
    expect(analyzer.analyzeCalls.length).toBe(callsBefore);
  });

  it('does not count permanent errors, and a success resets the count', async () => {
    build();
    await failTimes(4);
    analyzer.behaviour = corrupt;
    await expect(breaker.analyze('bad.jpg')).rejects.toThrow('not a decodable image');
    analyzer.behaviour = unavailable;
    await failTimes(4);
    expect(breaker.state).toBe('closed');
    analyzer.behaviour = facesFromPath;
    await breaker.analyze('faces/1.jpg');
    analyzer.behaviour = unavailable;
    await failTimes(4);
    expect(breaker.state).toBe('closed');
    await failTimes(1);
    expect(breaker.state).toBe('open');
  });

  it('decides recovery by the health probe, doubling the wait up to the cap, and closes on the first healthy probe', async () => {
    build();
    await failTimes(5);
    expect(timers.requestedDelays).toEqual([10_000]);
    expect(analyzer.probeCalls).toBe(0);

    analyzer.serving = false;
    for (let probe = 0; probe < 4; probe++) await timers.fire();
    expect(analyzer.probeCalls).toBe(4);
    expect(timers.requestedDelays).toEqual([10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(breaker.state).toBe('open');
    expect(states).toEqual(['open', 'half_open', 'open', 'half_open', 'open', 'half_open', 'open', 'half_open', 'open']);
    // Probing never sent a live request.
    expect(analyzer.analyzeCalls).toHaveLength(5);
    expect(consumer.resumes).toBe(0);

    analyzer.serving = true;
    analyzer.behaviour = facesFromPath;
    await timers.fire();
    expect(breaker.state).toBe('closed');
    expect(consumer.resumes).toBe(1);
    expect(timers.pendingCount).toBe(0);
    await expect(breaker.analyze('faces/2.jpg')).resolves.toMatchObject({ faces: [{ score: 0.97 }] });
  });

  it('starts the probe backoff again from the initial wait after it reopens', async () => {
    build();
    await failTimes(5);
    analyzer.serving = false;
    await timers.fire();
    analyzer.serving = true;
    await timers.fire();
    expect(breaker.state).toBe('closed');
    await failTimes(5);
    expect(timers.requestedDelays).toEqual([10_000, 20_000, 10_000]);
    expect(consumer.pauses).toBe(2);
  });

  it('treats a probe that throws like an unhealthy one', async () => {
    build();
    await failTimes(5);
    analyzer.isServing = async () => {
      throw new Error('deadline exceeded');
    };
    await timers.fire();
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot()).toMatchObject({ state: 'open', probeDelayMs: 20_000 });
  });
});
