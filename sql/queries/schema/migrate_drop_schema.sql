-- Drops pgpulse's schema and everything in it (run under the migration lock): `uninstall`.
DROP SCHEMA {{schema}} CASCADE
