-- Up Migration
-- The ledger: users with their balance, sessions, and one credit_logs row per balance change.
-- The constraints below protect money in the database itself, whatever the code does.

CREATE TABLE users (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email         text NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
  password_hash text NOT NULL,
  credits       integer NOT NULL DEFAULT 100 CHECK (credits >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Case-insensitive uniqueness (emails are also stored lower-cased, checked above).
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE sessions (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id          uuid NOT NULL REFERENCES users (id),
  start_time       timestamptz NOT NULL,
  end_time         timestamptz,
  credits_consumed integer NOT NULL DEFAULT 0 CHECK (credits_consumed >= 0),
  is_active        boolean NOT NULL DEFAULT true,
  end_reason       text CHECK (end_reason IN ('stopped', 'exhausted')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sessions_active_has_no_end CHECK (
    (is_active AND end_time IS NULL AND end_reason IS NULL)
    OR (NOT is_active AND end_time IS NOT NULL AND end_reason IS NOT NULL)
  ),
  CONSTRAINT sessions_end_after_start CHECK (end_time IS NULL OR end_time >= start_time),
  -- Billing times are whole milliseconds (DESIGN.md, One clock).
  CONSTRAINT sessions_start_ms CHECK (start_time = date_trunc('milliseconds', start_time)),
  CONSTRAINT sessions_end_ms CHECK (end_time IS NULL OR end_time = date_trunc('milliseconds', end_time))
);
-- At most one active session per user.
CREATE UNIQUE INDEX sessions_one_active_per_user ON sessions (user_id) WHERE is_active;
-- Status: the latest session of a user.
CREATE INDEX sessions_user_latest ON sessions (user_id, id DESC);
-- Schedule rebuild and the audit's overdue check: the active sessions only.
CREATE INDEX sessions_active ON sessions (start_time) WHERE is_active;

CREATE TABLE credit_logs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id           uuid NOT NULL REFERENCES users (id),
  session_id        bigint REFERENCES sessions (id),
  credits_deducted  integer NOT NULL CHECK (credits_deducted <> 0),
  remaining_credits integer NOT NULL CHECK (remaining_credits >= 0),
  reason            text NOT NULL CHECK (reason IN ('signup_grant', 'session_charge', 'top_up', 'adjustment')),
  "timestamp"       timestamptz NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
  -- A charge belongs to a session and takes credits; grants and top-ups add them.
  CONSTRAINT credit_logs_charge_has_session CHECK ((reason = 'session_charge') = (session_id IS NOT NULL)),
  CONSTRAINT credit_logs_charge_positive CHECK (reason <> 'session_charge' OR credits_deducted > 0),
  CONSTRAINT credit_logs_grant_negative CHECK (reason NOT IN ('signup_grant', 'top_up') OR credits_deducted < 0)
);
-- The ledger of a user, newest first (history, the invariant's newest row).
CREATE INDEX credit_logs_user_newest ON credit_logs (user_id, id DESC);
-- The ledger rows of a session (its credits_consumed).
CREATE INDEX credit_logs_session ON credit_logs (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE revoked_tokens (
  jti        text PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 128),
  user_id    uuid NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expires ON revoked_tokens (expires_at);

-- Down Migration
DROP TABLE revoked_tokens;
DROP TABLE credit_logs;
DROP TABLE sessions;
DROP TABLE users;
