-- 0005: attempt ids that reveal nothing and stay unique beyond one database.
--
-- Attempt ids used to be the row id as a decimal: they counted the attempts
-- and started again at 1 in a re-created database. New attempts get a
-- UUIDv7 (16 bytes here, its hyphenated text on the wire). Attempts recorded
-- before this migration keep NULL, and with it the decimal id they were
-- given, so every id a client already holds stays valid.
--
-- Not indexed: nothing looks an attempt up by this id, and each index on
-- attempts costs every durable commit a page write (BENCHMARKS.md).
ALTER TABLE attempts ADD COLUMN public_id BLOB
    CHECK (public_id IS NULL OR length(public_id) = 16);
