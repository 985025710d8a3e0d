/** The configured providers, by name, as the orchestrator and the sweeps look them up. */
import type { Provider } from './provider.ts';

export interface ProviderRegistry {
  get(name: string): Provider | undefined;
  list(): Provider[];
}

export function mapRegistry(providers: Provider[]): ProviderRegistry {
  const byName = new Map(providers.map((p) => [p.name, p]));
  return { get: (name) => byName.get(name), list: () => [...byName.values()] };
}
