-- 0001: the initial schema. Released migrations are never edited: add a new file.
--
-- Tables are STRICT so a wrong type is an error rather than a silent coercion.
-- Times are Unix microseconds (UTC).

-- One row per question. Choices, answer keys and tags are always read together
-- with their question, so they live in the row as JSON arrays: a page of
-- questions is one indexed range scan with no joins.
CREATE TABLE questions (
    id                  TEXT    NOT NULL PRIMARY KEY,
    type                TEXT    NOT NULL CHECK (type IN ('single_choice', 'multiple_choice', 'true_false')),
    stem                TEXT    NOT NULL,
    choices             TEXT    NOT NULL,  -- [{"key": "A", "text": "..."}, ...]
    correct_choice_keys TEXT    NOT NULL,  -- ["C"]
    explanation         TEXT    NOT NULL,
    difficulty          TEXT    NOT NULL CHECK (difficulty IN ('easy', 'medium', 'hard')),
    category            TEXT    NOT NULL,
    tags                TEXT    NOT NULL,  -- ["rlhf", ...], as shown to callers
    -- BCP-47 tags are case-insensitive, so the filter is too.
    language            TEXT    NOT NULL COLLATE NOCASE,
    revision            INTEGER NOT NULL CHECK (revision >= 1),
    create_time         INTEGER NOT NULL,
    update_time         INTEGER NOT NULL
) STRICT;

-- Listing by category walks this index in id order instead of filtering the
-- whole table.
CREATE INDEX questions_by_category ON questions (category, id);

-- The tag filter ("carries all of these tags") probes this index once per tag.
CREATE TABLE question_tags (
    tag         TEXT NOT NULL,
    question_id TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    PRIMARY KEY (tag, question_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX question_tags_by_question ON question_tags (question_id);

-- Every accepted submission. The grade and the answer key it was graded against
-- are stored as they were sent, so a retry with the same request_id gets the
-- original response even after the question changes.
CREATE TABLE attempts (
    id                  INTEGER NOT NULL PRIMARY KEY,
    question_id         TEXT    NOT NULL REFERENCES questions (id),
    question_revision   INTEGER NOT NULL,
    choice_keys         TEXT    NOT NULL,  -- the chosen keys as JSON, in the question's spelling
    correct             INTEGER NOT NULL CHECK (correct IN (0, 1)),
    score               REAL    NOT NULL CHECK (score BETWEEN 0.0 AND 1.0),
    correct_choice_keys TEXT    NOT NULL,
    explanation         TEXT    NOT NULL,
    respondent_id       TEXT,
    request_id          TEXT    UNIQUE,
    submit_time         INTEGER NOT NULL
) STRICT;

CREATE INDEX attempts_by_question ON attempts (question_id);

-- Small facts the server keeps about itself, e.g. the page-token signing key
-- (which must survive a restart so clients can page across it) and whether the
-- bundled bank was already loaded.
CREATE TABLE server_state (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
