-- 0002: a listing filtered by tag and category walks one index range.
--
-- With only 0001's indexes, "category X and tag Y" walked the category in id
-- order and probed question_tags for every question of it, about eight probes
-- for each match: most of a filtered page's cost. Keeping each question's
-- category beside its tags lets (tag, category, question_id) serve that page
-- in id order with no probes at all.

CREATE TABLE question_tags_with_category (
    tag         TEXT NOT NULL,
    question_id TEXT NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    -- A copy of questions.category, kept equal by the trigger below.
    category    TEXT NOT NULL,
    PRIMARY KEY (tag, question_id)
) STRICT, WITHOUT ROWID;

INSERT INTO question_tags_with_category (tag, question_id, category)
SELECT t.tag, t.question_id, q.category
FROM question_tags t JOIN questions q ON q.id = t.question_id;

DROP TABLE question_tags;
ALTER TABLE question_tags_with_category RENAME TO question_tags;

CREATE INDEX question_tags_by_question ON question_tags (question_id);
CREATE INDEX question_tags_by_category ON question_tags (tag, category, question_id);

-- A question moved to another category takes its tag rows along, whichever
-- code moves it.
CREATE TRIGGER question_tags_follow_category
AFTER UPDATE OF category ON questions
WHEN NEW.category IS NOT OLD.category
BEGIN
    UPDATE question_tags SET category = NEW.category WHERE question_id = NEW.id;
END;
