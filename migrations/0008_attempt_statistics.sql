-- 0008: statistics derived from the attempts.
--
-- An attempt's commit writes only the attempt (and the indexes it had), so
-- that SubmitAnswer stays as cheap as it was. Everything below is derived
-- from the attempts afterwards by the server's writer, in transactions of
-- its own, and can always be derived again: `attempt_derivation` says how
-- far it got, in the same transaction as what it derived, so a crash loses
-- at most work that is then redone. It lags the attempts by at most a
-- second; reads that must see a caller's own attempt wait for it to catch
-- up.

CREATE TABLE attempt_derivation (
    singleton       INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    -- Every attempt with an id up to this one is derived.
    derived_through INTEGER NOT NULL
) STRICT;
INSERT INTO attempt_derivation (singleton, derived_through) VALUES (1, 0);

-- Per question and revision; revision 0 holds all revisions together
-- (whose first attempts are each respondent's first on any revision).
CREATE TABLE question_attempt_stats (
    question_id     TEXT    NOT NULL,
    revision        INTEGER NOT NULL CHECK (revision >= 0),
    attempts        INTEGER NOT NULL,
    score_sum       REAL    NOT NULL,
    -- Each respondent's first attempt, plus every anonymous attempt.
    first_attempts  INTEGER NOT NULL,
    first_score_sum REAL    NOT NULL,
    respondents     INTEGER NOT NULL,
    PRIMARY KEY (question_id, revision)
) STRICT, WITHOUT ROWID;

-- How often each key was among an attempt's chosen keys, per revision.
CREATE TABLE question_choice_counts (
    question_id TEXT    NOT NULL,
    revision    INTEGER NOT NULL CHECK (revision >= 1),
    choice_key  TEXT    NOT NULL,
    chosen      INTEGER NOT NULL,
    PRIMARY KEY (question_id, revision, choice_key)
) STRICT, WITHOUT ROWID;

-- Each respondent's first attempt on a question per revision, and (as
-- revision 0) on any revision.
CREATE TABLE first_attempts (
    question_id   TEXT    NOT NULL,
    revision      INTEGER NOT NULL CHECK (revision >= 0),
    respondent_id TEXT    NOT NULL,
    score         REAL    NOT NULL,
    correct       INTEGER NOT NULL CHECK (correct IN (0, 1)),
    PRIMARY KEY (question_id, revision, respondent_id)
) STRICT, WITHOUT ROWID;

-- A respondent's questions, for their progress and for draws that leave
-- out what they answered: the first attempt on any revision, and how many
-- attempts in all.
CREATE TABLE respondent_questions (
    respondent_id TEXT    NOT NULL,
    question_id   TEXT    NOT NULL,
    first_score   REAL    NOT NULL,
    first_correct INTEGER NOT NULL CHECK (first_correct IN (0, 1)),
    attempts      INTEGER NOT NULL,
    PRIMARY KEY (respondent_id, question_id)
) STRICT, WITHOUT ROWID;

-- A respondent's totals over their first attempts (one per question), for
-- discrimination: the mean of their other questions' first scores.
CREATE TABLE respondent_totals (
    respondent_id      TEXT    NOT NULL PRIMARY KEY,
    questions_answered INTEGER NOT NULL,
    attempts           INTEGER NOT NULL,
    first_score_sum    REAL    NOT NULL,
    first_correct      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
