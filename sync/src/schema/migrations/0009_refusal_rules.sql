-- The rule that refused an edit, beside the words (`unique_key`, `exclusive`, `value`, …), so
-- the inbox offers the right way out without reading the reason. Older refusals have none.
ALTER TABLE conflicts ADD COLUMN rule TEXT;
