/**
 * The shapes /console/api answers with: the server's own types, as JSON delivers them (dates arrive as
 * ISO strings), so the page cannot drift from what the routes send.
 */
import type { GradeRow } from '../../src/db/console-queries.ts';
import type { StackEvent } from '../../src/domain/stack.ts';
import type { consoleCheck } from '../../src/http/routes/console-api.ts';
import type { publicStack } from '../../src/http/routes/stacks.ts';
import type { labPanels, LiveCounts, ProviderPanel } from '../../src/services/console-overview.ts';
import type { Sent } from '../sent.ts';

export type { LiveCounts };
export type StackItem = Sent<ReturnType<typeof publicStack>>;
export type StackEventItem = Sent<StackEvent>;
export type CheckItem = Sent<ReturnType<typeof consoleCheck>>;
export type GradeItem = Sent<GradeRow>;

/** GET /console/api/overview (src/http/routes/console-live.ts). */
export interface Overview {
  providers: Sent<ProviderPanel>[];
  labs: ReturnType<typeof labPanels>;
  counts: LiveCounts;
}
