-- 0009: reports of problems with questions (ReportQuestion,
-- ListQuestionReports, ResolveQuestionReport).
--
-- A report names the revision it was filed against, so an author sees what
-- the reporter saw even after the question changed. Reports are written by
-- the server's one writer, like every other write.
CREATE TABLE question_reports (
    -- A UUIDv7, hyphenated as clients see it.
    id                TEXT    NOT NULL PRIMARY KEY,
    question_id       TEXT    NOT NULL,
    question_revision INTEGER NOT NULL,
    reason            TEXT    NOT NULL
        CHECK (reason IN ('wrong_answer', 'ambiguous', 'typo', 'outdated', 'other')),
    comment           TEXT    NOT NULL,
    respondent_id     TEXT,
    -- A retry with the same request_id finds its report here and records
    -- nothing (NULLs never conflict). A namespace of its own: an attempt's
    -- request_id does not collide with a report's.
    request_id        TEXT    UNIQUE,
    state             TEXT    NOT NULL CHECK (state IN ('open', 'resolved')),
    create_time       INTEGER NOT NULL,
    resolution_note   TEXT    NOT NULL,
    -- Not in the contract yet; kept for whoever reads the table, and so a
    -- later release can show it for every report resolved before then.
    resolve_time      INTEGER,
    CHECK ((state = 'resolved') = (resolve_time IS NOT NULL)),
    -- A report follows its question's revisions: gone only if they are
    -- (a question deleted outside the server; the server's deletion is soft).
    FOREIGN KEY (question_id, question_revision)
        REFERENCES question_revisions (question_id, revision) ON DELETE CASCADE
) STRICT;

-- ListQuestionReports pages newest first (create time, then id) with a
-- keyset. Each filter combination walks one of these as a single range, so
-- a page reads only its own rows at any depth, however many reports the
-- filter leaves out. Reports are rare writes: four indexes cost little.
CREATE INDEX question_reports_newest ON question_reports (create_time, id);
CREATE INDEX question_reports_by_state ON question_reports (state, create_time, id);
CREATE INDEX question_reports_by_question ON question_reports (question_id, create_time, id);
CREATE INDEX question_reports_by_question_and_state
    ON question_reports (question_id, state, create_time, id);
