-- 0004: a card never outlives the question it shows.
--
-- Whatever writes questions (this server's future authoring, or a person with
-- the sqlite3 shell), a changed or removed question loses its card, and the
-- stored card format stops vouching for the cards: the next writable start
-- renders them all again, and until then (or on a read-only file) listings
-- decode questions instead of trusting cards. A new question makes the same
-- claim false, so it clears the format too.

CREATE TRIGGER question_cards_forget_inserted
AFTER INSERT ON questions
BEGIN
    DELETE FROM server_state WHERE name = 'card_format';
END;

CREATE TRIGGER question_cards_forget_updated
AFTER UPDATE ON questions
BEGIN
    DELETE FROM question_cards WHERE question_id = OLD.id;
    DELETE FROM server_state WHERE name = 'card_format';
END;

CREATE TRIGGER question_cards_forget_deleted
AFTER DELETE ON questions
BEGIN
    DELETE FROM question_cards WHERE question_id = OLD.id;
    DELETE FROM server_state WHERE name = 'card_format';
END;
