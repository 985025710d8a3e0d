/**
 * The deployment this store belongs to: one row, written once at the first start (generated, or the
 * configured `deployment_id`) and never changed, so that every process sharing the store (serve,
 * workers, the CLI) names and recognises the same stacks. The id is made by db/deployment.ts, not
 * here: a migrated empty store copied for tests must not carry one id into every copy.
 * The pattern is written out, not imported: an applied migration must not change with later code.
 */
export const sql = `
CREATE TABLE deployment (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  id text NOT NULL CHECK (id ~ '^[a-z][a-z0-9]{3,11}$'),
  created_at timestamptz NOT NULL DEFAULT now()
);
`;
