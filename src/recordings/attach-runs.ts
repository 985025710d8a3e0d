/**
 * Which progress checks a terminal session led to: a check run belongs to the latest recording of the
 * same stack that started before the run did (the session the learner worked in before checking).
 * Runs before the first recording belong to none. Pure, so the rule is tested on its own.
 */
export interface Timed {
  id: string;
  startedAt: Date;
}

export function attachRuns<R extends Timed, C extends Timed>(recordings: R[], runs: C[]): Array<R & { checkRuns: C[] }> {
  const sorted = [...recordings].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
  const attached = sorted.map((recording) => ({ ...recording, checkRuns: [] as C[] }));
  for (const run of runs) {
    let owner: (typeof attached)[number] | undefined;
    for (const recording of attached) if (recording.startedAt.getTime() <= run.startedAt.getTime()) owner = recording;
    owner?.checkRuns.push(run);
  }
  return attached;
}
