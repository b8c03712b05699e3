-- Which history of the op log cursors count in. It is made once, with the database; a restore
-- from a copy starts a new one, from the copy's newest cursor, so that consoles which pulled
-- further in the old history pull again from there and send again what they had sent.
CREATE TABLE server_epoch (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    epoch  TEXT NOT NULL,
    since  INTEGER NOT NULL
) STRICT;

INSERT INTO server_epoch (id, epoch, since) VALUES (1, lower(hex(randomblob(16))), 0);
