-- 031: review_pairs loses its foreign key to controllers (issue 16 item 9, D63).
-- review_pairs is crt-review's own memory of what it derived from the log — per (actor, person)
-- pair the first, last and last explained access, written only by crt-review from the log rows
-- it sealed (services/review/explain.c). Its controller_id is the controller of those log rows,
-- and the log itself has no foreign key to controllers either. PostgreSQL checks a foreign key
-- row by row (one lookup of controllers per inserted pair): at the first review of a month of
-- 9 million rows that was 6.6 s of the 8.3 s it took to insert its 1.1 million pairs. The
-- primary key (actor, person) and the row-level security stay.
ALTER TABLE review_pairs DROP CONSTRAINT review_pairs_controller_id_fkey;
