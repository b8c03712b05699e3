-- Every sign-in that ends (signed out, revoked, its user changed, expired and swept, from the
-- server or from the command line) moves this counter on. The server reads it every second,
-- so its live feeds look at their own sign-ins again at once, without each asking the
-- database for its token every second.
CREATE TABLE sign_in_endings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
) STRICT;

INSERT INTO sign_in_endings (id, generation) VALUES (1, 0);

CREATE TRIGGER tokens_ended AFTER DELETE ON tokens
BEGIN
    UPDATE sign_in_endings SET generation = generation + 1 WHERE id = 1;
END;
