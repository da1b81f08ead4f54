-- pgpulse migration 0011: the insert trigger and events_watched() run with their owner's rights.
-- compatible-with: 9
--
-- A trigger function runs with the rights of the role whose INSERT fired it. The jobs trigger
-- reads the queues table, files tenantless jobs of fair queues under '' (an UPDATE of jobs),
-- announces them and, while someone watches, emits events, so a role that should only send jobs
-- needed SELECT on queues, UPDATE on jobs and SELECT on event_watchers as well. As SECURITY
-- DEFINER it runs as the schema's owner (the role that ran migrate), and a producing role needs
-- INSERT on jobs and nothing the trigger touches. events_watched(), called by most statements,
-- likewise spares every role SELECT on event_watchers (it says only whether anyone watches).
--
-- A function that runs with its owner's rights must not resolve names through the caller's
-- search_path (a caller could put its own operators or functions first): both get a fixed one.
-- Every name they use is schema-qualified or in pg_catalog; the NOTIFY channels are unchanged.
-- Only how privileges are checked changes: code of any version runs against this schema.
-- CREATE OR REPLACE resets these attributes: a later migration that replaces either function
-- must say SECURITY DEFINER and SET search_path again (test/integration/privileges.test.ts
-- fails otherwise).
ALTER FUNCTION {{schema}}.jobs_after_insert()
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION {{schema}}.events_watched()
  SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
