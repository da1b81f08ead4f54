-- pgpulse migration 0009: the rate limit holds however many processes compete for it.
--
-- claim_budget() read the clock before it took the queue row's lock. Claims waiting for that
-- lock are not granted it in the order they read the clock, so a later claim could store an
-- older rate_updated_at than the one before it, and the next claim refilled the same stretch of
-- time again: with 12 worker processes and a limit of 20 per second, one second saw 140 starts
-- and the sustained rate was 71.6 per second. The clock is now read under the lock, and the
-- bucket's time never moves backwards.
CREATE OR REPLACE FUNCTION {{schema}}.claim_budget(
  queue_name text, wanted integer,
  OUT n integer, OUT tokens double precision, OUT at timestamptz,
  OUT retry_in_ms double precision, OUT capped boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  q {{schema}}.queues%ROWTYPE;
  running bigint;
BEGIN
  n := wanted;
  capped := false;
  SELECT * INTO q FROM {{schema}}.queues WHERE name = queue_name FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- The clock is read once the row is ours, and never before the bucket's own time: claims that
  -- waited for the lock are not granted it in arrival order, and one that read the clock
  -- earlier would store an older bucket time, letting the next claim refill the same stretch.
  at := greatest(clock_timestamp(), q.rate_updated_at);
  IF q.paused THEN
    n := 0;
    RETURN;
  END IF;
  IF q.concurrency_limit IS NOT NULL THEN
    SELECT count(*) INTO running FROM {{schema}}.jobs WHERE queue = queue_name AND state = 'running';
    n := least(n, greatest(0, q.concurrency_limit - running));
    capped := running >= q.concurrency_limit;
  END IF;
  IF q.rate_limit IS NOT NULL THEN
    -- Refilled continuously at rate_limit per rate_period_ms, holding at most rate_limit.
    tokens := least(q.rate_limit::double precision,
                    coalesce(q.rate_tokens, q.rate_limit)
                    + greatest(0, extract(epoch FROM at - coalesce(q.rate_updated_at, at)))
                      * 1000 * q.rate_limit / q.rate_period_ms);
    n := least(n, floor(tokens)::integer);
    IF tokens < 1 THEN
      retry_in_ms := ceil((1 - tokens) * q.rate_period_ms / q.rate_limit);
    END IF;
  END IF;
END
$$;
