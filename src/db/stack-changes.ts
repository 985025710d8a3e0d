/**
 * Announcements of stack changes (the trigger of migration 005): the channel, and the marker by which
 * a statement that only records activity stays unannounced. Cached views derive activity themselves,
 * and announcing every keepalive would flood the channel.
 */
export const STACK_CHANGED_CHANNEL = 'stacklab_stack_changed';

/** A FROM item that marks the statement's own transaction as activity-only. */
export const ACTIVITY_ONLY = `(SELECT set_config('stacklab.activity_only', 'on', true)) AS activity_only`;
