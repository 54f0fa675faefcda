-- Up Migration
-- The read behind every authenticated request (status, profile, WebSocket status): the user,
-- whether the token is revoked, the latest session and the database clock, in one call.
-- Planning this query cost ~0.5 ms of PostgreSQL CPU on every request against ~0.08 ms to run
-- it (docs/BENCHMARKS.md). A PL/pgSQL function keeps its plan for the life of the connection,
-- so it is planned once per connection instead of once per request; unlike a client-side
-- prepared statement this does not pin connections behind RDS Proxy. Billing times are whole
-- milliseconds as float8, like everywhere else (functions/adapters/pg.ts `ms`).
CREATE FUNCTION account_snapshot(p_user uuid, p_jti text)
RETURNS TABLE (
  account_id text, email text, credits integer, revoked boolean, now_ms float8,
  id text, user_id text, start_ms float8, end_ms float8, credits_consumed integer,
  is_active boolean, end_reason text
)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
  RETURN QUERY
  SELECT u.id::text, u.email, u.credits,
         EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.jti = p_jti),
         (extract(epoch FROM date_trunc('milliseconds', clock_timestamp())) * 1000)::bigint::float8,
         s.id::text, s.user_id::text,
         (extract(epoch FROM s.start_time) * 1000)::bigint::float8,
         (extract(epoch FROM s.end_time) * 1000)::bigint::float8,
         s.credits_consumed, s.is_active, s.end_reason
  FROM users u
  LEFT JOIN LATERAL (
    SELECT x.id, x.user_id, x.start_time, x.end_time, x.credits_consumed, x.is_active, x.end_reason
    FROM sessions x WHERE x.user_id = u.id ORDER BY x.id DESC LIMIT 1
  ) s ON true
  WHERE u.id = p_user;
END
$$;

-- Down Migration
DROP FUNCTION account_snapshot(uuid, text);
