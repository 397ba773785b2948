-- The SQL relgate runs for Q1 (one Kanka entity by key, relations(first:20)
-- with totalCount, type, from and to), replayed by pgbench -M prepared as the
-- floor. Written from relgate's statements as logged by
-- RUST_LOG=relgate::sql=trace (pgbench/q1.captured.sql); the parameter
-- values are those relgate sends. run.sh passes every variable with -D:
-- :anchors is the entity's id as an array ({7971}) and :ids the entities on
-- the page, as an array too. The compiled executor reads only the relation
-- columns Q1 shows, the far ends as (id, name), and the (built-in) relation
-- type from the service's copy: three statements.
SELECT "entities"."id", "entities"."source", "entities"."space", "entities"."kind", "entities"."kind_scope", "entities"."external_id", "entities"."name", "entities"."created_at", "entities"."updated_at" FROM "entities" WHERE "entities"."source" = :source AND "entities"."space" = :space AND "entities"."kind_scope" = '' AND "entities"."external_id" = :external_id LIMIT 1;
SELECT p.anchor, p.total, p.id, p.type_id, p.from_id, p.to_id, p.label, p.comment, p.attitude, p.colour, p.pinned, p.is_private, p.mirror_id FROM (SELECT u.*, ROW_NUMBER() OVER (PARTITION BY u.anchor ORDER BY u.id ASC) AS rn, COUNT(*) OVER (PARTITION BY u.anchor) AS total FROM (SELECT r.id, r.type_id, r.from_id, r.to_id, r.label, r.comment, r.attitude, r.colour, r.pinned, r.is_private, r.mirror_id, r.from_id AS anchor, r.to_id AS other FROM relations r WHERE r.from_id = ANY(:anchors) AND TRUE UNION ALL SELECT r.id, r.type_id, r.from_id, r.to_id, r.label, r.comment, r.attitude, r.colour, r.pinned, r.is_private, r.mirror_id, r.to_id AS anchor, r.from_id AS other FROM relations r WHERE r.to_id = ANY(:anchors) AND TRUE AND NOT (r.from_id = r.to_id AND TRUE)) u) p WHERE p.rn <= 21 ORDER BY p.anchor, p.rn;
SELECT id, name FROM entities WHERE id = ANY(:ids);
