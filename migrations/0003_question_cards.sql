-- 0003: each question's card, the bytes a listing shows for it.
--
-- A page of a listing then copies one stored value per question instead of
-- decoding the question's columns and encoding it again. The server renders
-- the cards (src/domain/card.rs) when it opens the database and finds them
-- missing or in another format, which server_state's "card_format" records.
-- Code that changes a question must write its card in the same transaction.
CREATE TABLE question_cards (
    question_id TEXT NOT NULL PRIMARY KEY REFERENCES questions (id) ON DELETE CASCADE,
    card        BLOB NOT NULL
) STRICT, WITHOUT ROWID;
