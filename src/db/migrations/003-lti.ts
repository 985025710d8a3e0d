/**
 * LTI 1.3: platform registrations, the tool's own signing keys, OIDC login states, used nonces,
 * what each launch left behind for grade passback, and the durable outbox of grades to send.
 */
export const sql = `
CREATE TABLE lti_platforms (
  name            text PRIMARY KEY,
  issuer          text NOT NULL,
  client_id       text NOT NULL,
  deployment_ids  text[] NOT NULL DEFAULT '{}',
  auth_login_url  text NOT NULL,
  token_url       text NOT NULL,
  jwks_url        text NOT NULL,
  source          text NOT NULL CHECK (source IN ('config', 'api')),
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  UNIQUE (issuer, client_id)
);

CREATE TABLE lti_tool_keys (
  kid          text PRIMARY KEY,
  public_jwk   jsonb NOT NULL,
  private_key  text NOT NULL,
  created_at   timestamptz NOT NULL,
  signs_from   timestamptz NOT NULL,
  retire_at    timestamptz
);

CREATE TABLE lti_login_states (
  state            text PRIMARY KEY,
  nonce            text NOT NULL,
  platform         text NOT NULL,
  target_link_uri  text,
  expires_at       timestamptz NOT NULL
);
CREATE INDEX lti_login_states_expiry ON lti_login_states (expires_at);

CREATE TABLE lti_used_nonces (
  issuer      text NOT NULL,
  nonce       text NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (issuer, nonce)
);
CREATE INDEX lti_used_nonces_expiry ON lti_used_nonces (expires_at);

CREATE TABLE lti_launches (
  learner           text NOT NULL,
  context           text NOT NULL,
  lab               text NOT NULL,
  platform          text NOT NULL,
  deployment_id     text NOT NULL,
  sub               text NOT NULL,
  resource_link_id  text,
  lineitem_url      text,
  lineitems_url     text,
  ags_scopes        text[] NOT NULL DEFAULT '{}',
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (learner, context, lab)
);

CREATE TABLE lti_grade_outbox (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  attempt_id       text NOT NULL UNIQUE,
  learner          text NOT NULL,
  context          text NOT NULL,
  lab              text NOT NULL,
  platform         text NOT NULL,
  lineitem_url     text NOT NULL,
  sub              text NOT NULL,
  score            double precision NOT NULL CHECK (score >= 0 AND score <= 1),
  policy           text NOT NULL CHECK (policy IN ('best', 'latest')),
  scored_at        timestamptz NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'sent', 'superseded', 'skipped', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL,
  lease_until      timestamptz,
  last_error       text,
  sent_score       double precision,
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz
);
CREATE INDEX lti_grade_outbox_due ON lti_grade_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX lti_grade_outbox_key ON lti_grade_outbox (learner, context, lab, id)
`;
