-- Up Migration
-- The settle (functions/core/store.ts settleSessions) as a PL/pgSQL function, for the reason
-- account_snapshot is one: a PL/pgSQL function keeps its plan for the life of the connection,
-- so the settle is planned once per connection instead of on every call. Planning the settle
-- cost ~1.4 ms of PostgreSQL CPU per call, more than running it for one session: every read,
-- stop and expiry that settles one session paid it (docs/BENCHMARKS.md, "What was slow").
-- Unlike a client-side prepared statement this does not pin connections behind RDS Proxy.
--
-- The statement is the one settle of the billing rule (functions/core/billing.ts `settle`;
-- tests/api.test.ts and tests/live.test.ts hold it to that rule). `locked` takes the row locks
-- in session-id order (the lock order every writer shares: session, then its user) and reads
-- the rows as they are once locked: under READ COMMITTED a row another writer changed
-- meanwhile is re-read at its newest version. `clock` reads the database clock only after
-- `locked` has been read to the end (an aggregate cannot answer before its input is done), so
-- the clock is not earlier than any charge committed by a writer this settle waited for
-- (DESIGN.md, One clock). The updates find their rows by key and every value they write comes
-- from `fin`. Billing times are whole milliseconds (functions/adapters/pg.ts `ms`, `ts`).
--
-- p_skip_locked (reads): first lock, without waiting, the sessions and users no other writer
-- holds, and settle only those. A session another writer holds is being settled by it at this
-- moment, so the read does not queue behind that writer's whole batch; it answers as of just
-- before that writer commits, and the push follows. The statement then finds those rows
-- already locked by this transaction and does not wait either.
CREATE FUNCTION settle_sessions(p_ids bigint[], p_period_ms bigint, p_stop boolean, p_skip_locked boolean)
RETURNS TABLE (
  id text, user_id text, email text, start_ms float8, end_ms float8, credits_consumed integer,
  credits integer, end_reason text, paid integer, now_ms float8
)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
  v_ids bigint[] := p_ids;
BEGIN
  IF p_skip_locked THEN
    SELECT array_agg(l.id) INTO v_ids FROM (
      SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ANY(p_ids) AND s.is_active
      ORDER BY s.id
      FOR UPDATE OF s, u SKIP LOCKED
    ) AS l;
    IF v_ids IS NULL THEN
      RETURN;
    END IF;
  END IF;

  RETURN QUERY
    WITH locked AS MATERIALIZED (
      SELECT s.id, s.user_id, u.email, (extract(epoch FROM s.start_time) * 1000)::bigint AS start_ms, s.credits_consumed, u.credits
      FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = ANY(v_ids) AND s.is_active
      ORDER BY s.id
      FOR UPDATE OF s, u
    ),
    clock AS MATERIALIZED (
      SELECT (extract(epoch FROM date_trunc('milliseconds', clock_timestamp())) * 1000)::bigint AS now_ms FROM (SELECT count(*) FROM locked) AS all_locked
    ),
    fin AS MATERIALIZED (
      SELECT paid.*,
             (credits_consumed + paid)::int AS new_consumed,
             (credits - paid)::int AS new_credits,
             CASE WHEN paid < due THEN start_ms + (credits_consumed + paid)::bigint * p_period_ms
                  WHEN p_stop THEN now_ms END AS end_ms,
             CASE WHEN paid < due THEN 'exhausted' WHEN p_stop THEN 'stopped' END AS end_reason
      FROM (
        SELECT due.*, LEAST(due, credits)::int AS paid
        FROM (
          SELECT l.*, c.now_ms,
                 CASE WHEN c.now_ms < l.start_ms THEN 0
                      ELSE GREATEST(0, 1 + (c.now_ms - l.start_ms) / p_period_ms - l.credits_consumed) END AS due
          FROM locked l CROSS JOIN clock c
        ) AS due
      ) AS paid
    ),
    upd_sessions AS (
      UPDATE sessions s
      SET credits_consumed = fin.new_consumed,
          is_active = fin.end_ms IS NULL,
          end_time = (timestamptz 'epoch' + (fin.end_ms) * interval '1 millisecond'),
          end_reason = fin.end_reason,
          updated_at = (timestamptz 'epoch' + (fin.now_ms) * interval '1 millisecond')
      FROM fin
      WHERE s.id = fin.id AND (fin.paid > 0 OR fin.end_ms IS NOT NULL)
    ),
    upd_users AS (
      UPDATE users u
      SET credits = fin.new_credits, updated_at = (timestamptz 'epoch' + (fin.now_ms) * interval '1 millisecond')
      FROM fin
      WHERE u.id = fin.user_id AND fin.paid > 0
    ),
    ins_logs AS (
      INSERT INTO credit_logs (user_id, session_id, credits_deducted, remaining_credits, reason, "timestamp")
      SELECT user_id, id, paid, new_credits, 'session_charge',
             (timestamptz 'epoch' + (start_ms + (new_consumed - 1)::bigint * p_period_ms) * interval '1 millisecond')
      FROM fin WHERE paid > 0
    )
    SELECT fin.id::text AS id, fin.user_id::text AS user_id, fin.email, fin.start_ms::float8 AS start_ms,
           fin.end_ms::float8 AS end_ms, fin.new_consumed AS credits_consumed, fin.new_credits AS credits,
           fin.end_reason, fin.paid, fin.now_ms::float8 AS now_ms
    FROM fin ORDER BY fin.id;
END
$$;

-- Down Migration
DROP FUNCTION settle_sessions(bigint[], bigint, boolean, boolean);
