/** One measured figure of a benchmark, as bench/run.ts prints it and BENCHMARKS.md records it. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  /** Whether the goal was met, when there is one. */
  met?: boolean;
  note?: string;
}
