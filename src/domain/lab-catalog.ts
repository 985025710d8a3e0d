/** The labs a process knows, by id: loaded from the labs folder by the composition root, read by everyone else. */
import type { Lab } from './lab.ts';

export interface LabCatalog {
  get(id: string): Lab | undefined;
  list(): Lab[];
}

export function mapCatalog(labs: Iterable<Lab>): LabCatalog {
  const byId = new Map([...labs].map((lab) => [lab.id, lab]));
  return { get: (id) => byId.get(id), list: () => [...byId.values()] };
}
