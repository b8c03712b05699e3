-- Ops the server makes itself when it repairs rows that an older version let break a rule
-- carry a refusal notice (JSON) for the console that wrote the row, so the refusal reaches
-- that console's conflicts inbox through the ordinary pull.
ALTER TABLE ops ADD COLUMN notice TEXT;
