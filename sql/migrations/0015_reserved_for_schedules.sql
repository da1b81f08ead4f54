-- pgpulse migration 0015: reserved for schedules (issue 15), which are being built on another
-- branch. This empty file keeps the numbers without a gap on the flows branch (issue 16, whose
-- migration is 0016); the real 0015_schedules.sql replaces it when both are merged.
-- compatible-with: 14
SELECT 1;
