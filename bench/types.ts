export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  /** Whether the goal was met, when there is one. */
  met?: boolean;
  note?: string;
}
