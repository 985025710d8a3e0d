/** Case N of a campaign: a corpus entry picked and mutated by the generator seeded with (seed, N). */
import { loadCorpus, type Seed } from './corpus.ts';
import { mutate, type FuzzCase } from './mutate.ts';
import { randomFor } from './random.ts';

let corpus: Seed[] | undefined;

export function makeCase(seed: string, n: number): FuzzCase {
  corpus ??= loadCorpus();
  const r = randomFor(seed, n);
  return mutate(r.pick(corpus), r);
}
