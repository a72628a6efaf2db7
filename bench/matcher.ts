/**
 * Gallery matching speed: 100,000 random descriptors, nearest-neighbour per probe.
 * Run: npm run bench:matcher   (target: ≤ 10 ms per match)
 */
import { DESCRIPTOR_LENGTH, MatchRule } from '@visage/domain';
import { Gallery, GalleryEntry } from '@visage/matcher';
import { machineLine, percentile } from './machine';

const GALLERY_SIZE = Number(process.env.BENCH_GALLERY_SIZE ?? 100_000);
const PROBES = Number(process.env.BENCH_PROBES ?? 200);
/** The default rule: the margin needs the second-nearest person, whose bound prunes less than the nearest's. */
const RULE: MatchRule = { threshold: 0.49, margin: 0.08 };

function randomDescriptor(): Float32Array {
  // face-api descriptors are roughly unit length with components of ±0.2: draw alike.
  const out = new Float32Array(DESCRIPTOR_LENGTH);
  for (let i = 0; i < DESCRIPTOR_LENGTH; i++) out[i] = (Math.random() - 0.5) * 0.3;
  return out;
}

function main(): void {
  console.log(machineLine());
  const entries: GalleryEntry[] = Array.from({ length: GALLERY_SIZE }, (_, i) => ({
    personId: i + 1,
    personName: `person ${i + 1}`,
    descriptor: randomDescriptor(),
  }));
  const built = performance.now();
  const gallery = new Gallery(entries);
  console.log(`gallery: ${gallery.size} descriptors packed in ${(performance.now() - built).toFixed(1)} ms`);

  // Probes: half strangers, half near-copies of an enrolled face (the two cases a real stream has).
  const probes = Array.from({ length: PROBES }, (_, i) => {
    if (i % 2 === 0) return randomDescriptor();
    const copy = Float32Array.from(entries[Math.floor(Math.random() * entries.length)].descriptor);
    for (let k = 0; k < DESCRIPTOR_LENGTH; k++) copy[k] += (Math.random() - 0.5) * 0.02;
    return copy;
  });
  for (let i = 0; i < 10; i++) gallery.match(probes[i], RULE); // JIT warm-up
  const times: number[] = [];
  let matched = 0;
  for (const probe of probes) {
    const started = performance.now();
    const result = gallery.match(probe, RULE);
    times.push(performance.now() - started);
    if (result?.matched) matched += 1;
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  console.log(`probes: ${PROBES} (${matched} matched)`);
  console.log(
    `ms per match: mean ${mean.toFixed(2)}, p50 ${percentile(times, 0.5).toFixed(2)}, p95 ${percentile(times, 0.95).toFixed(2)}, max ${times[times.length - 1].toFixed(2)} (target ≤ 10 ms)`,
  );
}

main();
