-- Creates the schema if it does not exist (run under the migration lock).
CREATE SCHEMA IF NOT EXISTS {{schema}}
