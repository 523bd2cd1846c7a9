-- 0006: questions can be edited, deleted and restored; every revision is kept.
--
-- Authoring (CreateQuestion, UpdateQuestion, DeleteQuestion, UndeleteQuestion)
-- writes through the server's one writer, which keeps in one transaction:
-- the question's current row, its immutable revision row, its tag rows and
-- its card.

-- Every revision of every question, never changed once written: what an
-- attempt was graded against, and what ListQuestionRevisions shows.
CREATE TABLE question_revisions (
    question_id         TEXT    NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    revision            INTEGER NOT NULL CHECK (revision >= 1),
    type                TEXT    NOT NULL CHECK (type IN ('single_choice', 'multiple_choice', 'true_false')),
    stem                TEXT    NOT NULL,
    choices             TEXT    NOT NULL,
    correct_choice_keys TEXT    NOT NULL,
    explanation         TEXT    NOT NULL,
    difficulty          TEXT    NOT NULL CHECK (difficulty IN ('easy', 'medium', 'hard')),
    category            TEXT    NOT NULL,
    tags                TEXT    NOT NULL,
    language            TEXT    NOT NULL COLLATE NOCASE,
    create_time         INTEGER NOT NULL,
    update_time         INTEGER NOT NULL,
    PRIMARY KEY (question_id, revision)
) STRICT, WITHOUT ROWID;

-- Every question so far is at its first and only revision.
INSERT INTO question_revisions (question_id, revision, type, stem, choices,
    correct_choice_keys, explanation, difficulty, category, tags, language,
    create_time, update_time)
SELECT id, revision, type, stem, choices, correct_choice_keys, explanation,
    difficulty, category, tags, language, create_time, update_time
FROM questions;

-- Deletion is soft (AIP-164): a deleted question keeps its row, revisions
-- and attempts, and is hidden from Get, List and SubmitAnswer. Its tag rows
-- and card are removed while it is deleted, so tag listings (which walk
-- question_tags alone) never meet it.
ALTER TABLE questions ADD COLUMN delete_time INTEGER;

-- An attempt refers to the revision it was graded against, instead of
-- copying that revision's answer key and explanation into every row.
ALTER TABLE attempts DROP COLUMN correct_choice_keys;
ALTER TABLE attempts DROP COLUMN explanation;

-- 0004 cleared the stored card format on every insert, update and delete,
-- so that the next start rendered all cards again. The server now writes a
-- question's card in the same transaction as the question; a change made by
-- something else (the sqlite3 shell) still drops the card, which the server
-- renders from the question's columns when it reads it, and stores again at
-- its next writable start.
DROP TRIGGER question_cards_forget_inserted;
DROP TRIGGER question_cards_forget_updated;
DROP TRIGGER question_cards_forget_deleted;

CREATE TRIGGER question_cards_follow_updates
AFTER UPDATE ON questions
BEGIN
    DELETE FROM question_cards WHERE question_id = OLD.id;
END;

-- Also with foreign keys off (the sqlite3 shell's default), where the
-- cascade does not run.
CREATE TRIGGER question_cards_follow_deletes
AFTER DELETE ON questions
BEGIN
    DELETE FROM question_cards WHERE question_id = OLD.id;
END;

-- How often the bank's questions changed, whoever changed them: a server
-- sees another process's edit (a second server, `qbank-server import`, the
-- sqlite3 shell) by this number moving, and forgets what it cached.
CREATE TABLE bank_generation (
    singleton  INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    generation INTEGER NOT NULL
) STRICT;
INSERT INTO bank_generation (singleton, generation) VALUES (1, 0);

CREATE TRIGGER bank_generation_on_insert AFTER INSERT ON questions
BEGIN
    UPDATE bank_generation SET generation = generation + 1;
END;
CREATE TRIGGER bank_generation_on_update AFTER UPDATE ON questions
BEGIN
    UPDATE bank_generation SET generation = generation + 1;
END;
CREATE TRIGGER bank_generation_on_delete AFTER DELETE ON questions
BEGIN
    UPDATE bank_generation SET generation = generation + 1;
END;
