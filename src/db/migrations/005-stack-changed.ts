/**
 * Every change to a stack row is announced on a channel, so processes that keep READY stacks in memory
 * (the keepalive fast path, services/ready-stack-cache.ts) drop their copy whatever process or tool made
 * the change. A trigger rather than code in the store, so a hand-written UPDATE is announced too.
 * Statements that only record activity say so with the `stacklab.activity_only` setting: cached views
 * derive that part themselves, and announcing every keepalive would flood the channel.
 */
export const STACK_CHANGED_CHANNEL = 'stacklab_stack_changed';

/** A FROM item that marks the statement's own transaction as activity-only (see the trigger below). */
export const ACTIVITY_ONLY = `(SELECT set_config('stacklab.activity_only', 'on', true)) AS activity_only`;

export const sql = `
CREATE FUNCTION stacklab_announce_stack_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${STACK_CHANGED_CHANNEL}', OLD.id);
  RETURN NULL;
END
$$;
CREATE TRIGGER stacks_changed AFTER UPDATE OR DELETE ON stacks FOR EACH ROW
  WHEN (current_setting('stacklab.activity_only', true) IS DISTINCT FROM 'on')
  EXECUTE FUNCTION stacklab_announce_stack_change();
`;
