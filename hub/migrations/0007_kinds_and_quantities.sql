-- Kinds as data and freezes by quantity (issue 12): every order records the registered kind of
-- the asset it acts on (empty for orders recorded before: their source's kind), and a freeze
-- of a kind counted in units (shares) records the units asked and the units the agency holds,
-- and every order the unit its kind counted in when it was placed ('fen', 'whole', 'shares').
-- Amounts of money stay in the *_fen columns; a quantity freeze asks 0 fen.
-- Portable SQL (SQLite and PostgreSQL).

ALTER TABLE control_orders ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE control_orders ADD COLUMN quantity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE control_orders ADD COLUMN held_quantity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE control_orders ADD COLUMN unit TEXT NOT NULL DEFAULT '';
