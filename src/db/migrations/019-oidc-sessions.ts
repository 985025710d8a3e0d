/**
 * Console sessions of operators signed in through the deployment's OpenID provider (docs/console.md), who
 * have no row in `operators`: migration 011 tied every session to an account by a foreign key on
 * `operator`. Now a session names its `operator` (shown and written in the history) and how it was
 * opened: `account` (a password sign-in; removing the account still removes its sessions, by cascade) or
 * `issuer` (an OIDC sign-in at that provider; only sessions of the configured issuer are accepted, so
 * turning OIDC off or pointing it elsewhere ends them). Exactly one of the two is set, and a password
 * session's operator is its account, so an OIDC user never holds a session that the account's removal or
 * a new password would leave behind.
 */
export const sql = `
ALTER TABLE operator_sessions ADD COLUMN account text REFERENCES operators(name) ON DELETE CASCADE;
ALTER TABLE operator_sessions ADD COLUMN issuer text;
UPDATE operator_sessions SET account = operator;
ALTER TABLE operator_sessions DROP CONSTRAINT operator_sessions_operator_fkey;
ALTER TABLE operator_sessions ADD CONSTRAINT operator_sessions_one_way CHECK ((account IS NULL) <> (issuer IS NULL) AND (account IS NULL OR account = operator));
DROP INDEX operator_sessions_operator;
CREATE INDEX operator_sessions_account ON operator_sessions (account);
`;
