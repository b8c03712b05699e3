-- The start-up repair (rows an older version let break a rule) runs once per version of the
-- rules: every row accepted since is judged by them, so a later start has nothing to mend.
CREATE TABLE repairs (
    rules  INTEGER PRIMARY KEY,
    ran_at TEXT NOT NULL
) STRICT;
