-- Which database this is, and which history of its op log cursors count in. Both are made
-- once, with the database. A restore from a copy keeps the database (the copy is of this one)
-- and starts a new epoch from the copy's newest cursor, so that consoles which pulled further
-- in the old history pull again from there and send again what they had sent; a console that
-- finds another database altogether (it now syncs with another server) sends nothing again.
CREATE TABLE server_epoch (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    database TEXT NOT NULL,
    epoch    TEXT NOT NULL,
    since    INTEGER NOT NULL
) STRICT;

INSERT INTO server_epoch (id, database, epoch, since)
VALUES (1, lower(hex(randomblob(16))), lower(hex(randomblob(16))), 0);
