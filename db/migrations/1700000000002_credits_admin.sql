-- Up Migration
-- Top-ups, history and the admin console (issue 9).

-- Lock order. A balance change locks the user's session row, then the user row (the settle's
-- order, shared with the tick). A foreign-key check takes a KEY SHARE lock on the row it points
-- to, and FOR UPDATE waits for it: a transaction that checked a key on a users row and then waited
-- for a session row would deadlock with a settle holding that session and waiting for the user.
-- So the keys below that point at users either are checked at commit (DEFERRABLE INITIALLY
-- DEFERRED: by then the transaction holds that users row itself, or holds nothing anyone waits
-- for), or point at a row the transaction has already locked, or are not declared (the admin's
-- own id: an admin with a live session could be locked by the tick while the tick waits for the
-- session the admin is adjusting). Those ids come from an authenticated token, and users are
-- never deleted by the product.

-- Admin adjustments name the admin who made them and why. Only adjustments have an actor.
ALTER TABLE credit_logs
  ADD COLUMN actor_id uuid,
  ADD COLUMN note     text,
  ADD CONSTRAINT credit_logs_actor_adjusts CHECK (actor_id IS NULL OR reason = 'adjustment'),
  ADD CONSTRAINT credit_logs_note_length CHECK (note IS NULL OR length(note) BETWEEN 1 AND 500);

-- The system view (charges per minute, tick lateness) and the usage chart read recent ledger rows
-- by created_at. The ledger is append-only and created_at grows with it, so a BRIN index finds
-- them for almost no cost on the hot insert path (a B-tree would add a write per charge).
CREATE INDEX credit_logs_created_brin ON credit_logs USING brin (created_at);

-- One row per top-up attempt. The unique key is what makes a purchase idempotent: a second
-- request with the same key waits for the first one's transaction and then finds its row.
-- `pending` lives only inside the purchasing transaction; committed rows are approved (with
-- the ledger row that added the credits and the response that was sent) or declined.
CREATE TABLE purchases (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id         uuid NOT NULL REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED,
  idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[A-Za-z0-9_-]{8,128}$'),
  pack            text NOT NULL CHECK (length(pack) BETWEEN 1 AND 32),
  credits         integer NOT NULL CHECK (credits > 0),
  amount_cents    integer NOT NULL CHECK (amount_cents > 0),
  currency        text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  status          text NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
  provider        text NOT NULL,
  provider_ref    text,
  decline_reason  text,
  credit_log_id   bigint UNIQUE REFERENCES credit_logs (id) DEFERRABLE INITIALLY DEFERRED,
  response        json,   -- the answer sent, kept as text (json, not jsonb: key order preserved)
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT purchases_user_key UNIQUE (user_id, idempotency_key),
  CONSTRAINT purchases_approved_has_ledger CHECK ((status = 'approved') = (credit_log_id IS NOT NULL)),
  CONSTRAINT purchases_approved_has_response CHECK (status <> 'approved' OR response IS NOT NULL)
);
CREATE INDEX purchases_created_brin ON purchases USING brin (created_at);

-- Every admin action: who, what, on whom, with what input, when.
CREATE TABLE admin_audit (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  admin_id       uuid NOT NULL,
  action         text NOT NULL CHECK (action IN ('grant_credits', 'remove_credits', 'end_session', 'view_user')),
  target_user_id uuid REFERENCES users (id) DEFERRABLE INITIALLY DEFERRED,
  payload        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX admin_audit_target ON admin_audit (target_user_id, id DESC);
CREATE INDEX admin_audit_admin ON admin_audit (admin_id, id DESC);

-- Down Migration
DROP TABLE admin_audit;
DROP TABLE purchases;
DROP INDEX credit_logs_created_brin;
ALTER TABLE credit_logs
  DROP CONSTRAINT credit_logs_note_length,
  DROP CONSTRAINT credit_logs_actor_adjusts,
  DROP COLUMN note,
  DROP COLUMN actor_id;
