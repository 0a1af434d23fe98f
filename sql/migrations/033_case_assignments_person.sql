-- 033: a person's assignments, ended ones included, found through an index. Until now the only
-- indexes on case_assignments were partial (the open assignments, 004): the assignment history
-- (GET /v1/persons/{id}/assignments), an erasure's delete, a transfer's cascade of the person's
-- controller, the check of a deleted person's references and the review's sources of a seal's
-- persons each read the whole table — cheap in the first year, a scan of every assignment ever
-- made after a few. 004 also made the open-assignments index twice (case_assignments_active and
-- the unique case_assignments_one_active, same columns and condition): the unique one stays.
CREATE INDEX case_assignments_person ON case_assignments (person_id, started_at);
DROP INDEX case_assignments_active;
