import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

/** One line naming the machine a benchmark ran on. */
export function machineLine(): string {
  const list = cpus();
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  // The load average matters: the development machine is shared, and a busy one slows every figure.
  return `machine: ${list[0]?.model ?? 'unknown cpu'} × ${list.length} cores, node ${process.version}, ${process.platform}/${process.arch}, load average ${load}`;
}

export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

/** Runs `work`, measuring its wall time and the CPU time this process spent meanwhile (all its threads). */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; cpuSeconds: number }> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { result, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
