/**
 * Every change to a stack row is announced on a channel, so processes that keep READY stacks in memory
 * (the keepalive fast path, services/ready-stack-cache.ts) drop their copy whatever process or tool made
 * the change. A trigger rather than code in the store, so a hand-written UPDATE is announced too.
 * Statements that only record activity say so with the `stacklab.activity_only` setting (db/stack-changes.ts).
 * The names are written out, not imported: an applied migration must not change with later code.
 */
export const sql = `
CREATE FUNCTION stacklab_announce_stack_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('stacklab_stack_changed', OLD.id);
  RETURN NULL;
END
$$;
CREATE TRIGGER stacks_changed AFTER UPDATE OR DELETE ON stacks FOR EACH ROW
  WHEN (current_setting('stacklab.activity_only', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION stacklab_announce_stack_change();
`;
