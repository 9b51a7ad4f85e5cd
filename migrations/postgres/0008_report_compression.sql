-- Reports compressed with lz4 where the server has it.
--
-- A report's JSON (~2.2 KB) is just over the size at which PostgreSQL compresses a row,
-- and the default compressor (pglz) was a tenth of the database's CPU in a bulk import:
-- each report compressed twice (the report, its revision) and its dealers' last twelve
-- months decompressed for the plausibility checks. lz4 does the same job several times
-- faster. Values already stored keep their compression until rewritten. A server built
-- without lz4 keeps pglz.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        ALTER TABLE reports ALTER COLUMN data SET COMPRESSION lz4;
        ALTER TABLE report_revisions ALTER COLUMN data SET COMPRESSION lz4;
    END IF;
END
$$;
