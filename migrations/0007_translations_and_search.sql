-- 0007: questions carry translations, full-text search, and one card per
-- language.

-- A question's content in other languages, as JSON:
-- [{"language": "en", "stem": "...", "choices": [{"key": "A", "text": "..."}],
--   "explanation": "..."}]. Read with the question, like its choices. A
-- translation change is a revision, so revisions carry them too.
ALTER TABLE questions ADD COLUMN translations TEXT NOT NULL DEFAULT '[]';
ALTER TABLE question_revisions ADD COLUMN translations TEXT NOT NULL DEFAULT '[]';

-- The search index: one row per live question. The server cuts the text
-- into terms itself (Chinese into single characters, other scripts into
-- lowercase words) and stores them separated by spaces, so the `ascii`
-- tokenizer only splits on the spaces: what matches is decided in Rust, the
-- same on every backend.
--   facets:    category, tags, difficulty, type and languages, one term each,
--              so a filtered search never leaves the index
--   shown:     stems and choice texts in every language (what anyone sees)
--   explained: explanations in every language (only FULL-view searches)
CREATE VIRTUAL TABLE question_search USING fts5 (
    facets,
    shown,
    explained,
    tokenize = 'ascii'
);

-- Which question each index row is. VACUUM may renumber the rowids of
-- `questions` (it has no INTEGER PRIMARY KEY), so the index cannot use them.
CREATE TABLE question_search_rows (
    search_rowid INTEGER NOT NULL PRIMARY KEY,
    question_id  TEXT    NOT NULL UNIQUE
) STRICT;

-- Questions whose index row may not match them. Every insert or update of
-- a question lands here; the server's write path indexes the question in
-- the same transaction and removes it again, so what stays is what
-- something else (the sqlite3 shell) changed, and the next writable start
-- indexes it. Every question so far is pending.
CREATE TABLE question_search_pending (
    question_id TEXT NOT NULL PRIMARY KEY
) STRICT, WITHOUT ROWID;
INSERT INTO question_search_pending (question_id) SELECT id FROM questions;

CREATE TRIGGER question_search_pending_on_insert AFTER INSERT ON questions
BEGIN
    INSERT INTO question_search_pending (question_id) VALUES (NEW.id)
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER question_search_pending_on_update AFTER UPDATE ON questions
BEGIN
    INSERT INTO question_search_pending (question_id) VALUES (NEW.id)
        ON CONFLICT DO NOTHING;
END;
CREATE TRIGGER question_search_follows_deletes AFTER DELETE ON questions
BEGIN
    DELETE FROM question_search WHERE rowid IN
        (SELECT search_rowid FROM question_search_rows WHERE question_id = OLD.id);
    DELETE FROM question_search_rows WHERE question_id = OLD.id;
    DELETE FROM question_search_pending WHERE question_id = OLD.id;
END;

-- A card per language a question is served in: position 0 is its original
-- language, then its translations in order. The cards in the old layout
-- are dropped; the next writable start renders them all (the card format
-- changed too).
DROP TABLE question_cards;
CREATE TABLE question_cards (
    question_id TEXT    NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL CHECK (position >= 0),
    language    TEXT    NOT NULL,
    card        BLOB    NOT NULL,
    PRIMARY KEY (question_id, position)
) STRICT, WITHOUT ROWID;
DELETE FROM server_state WHERE name = 'card_format';
