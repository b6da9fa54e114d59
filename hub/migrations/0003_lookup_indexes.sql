-- Lookups the follow-up loop makes every round: a sighting's watch by its agency reference,
-- and holds in force past their end date (expiry), so neither scans every order ever placed.

CREATE INDEX control_orders_agency_ref ON control_orders (source, agency_ref);
CREATE INDEX control_orders_state_end ON control_orders (state, end_day);
