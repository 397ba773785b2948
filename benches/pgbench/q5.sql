-- The SQL relgate runs for Q5 (one Kanka entity by key, neighbourhood(depth:
-- 3, first: 20) with totalCount, distance and the reached entities' names),
-- replayed by pgbench -M prepared as the floor. Written from relgate's
-- statements as logged by RUST_LOG=relgate::sql=trace
-- (pgbench/q5.captured.sql); the parameter values are those relgate sends.
-- run.sh passes every variable with -D: :anchors is the entity's id as an
-- array ({86330}), :depth the hops (3), :max_rows the walks the statement
-- reads at most (RELGATE_MAX_TRAVERSAL_ROWS + 1), :first the page size + 1
-- (21), :ids the entities on the page, as an array too. Unlike q1.sql, the
-- walk's values stay parameters, as relgate binds them: with
-- plan_cache_mode=force_generic_plan a literal would give the planner what
-- relgate's generic plan does not know. The entity is read first (key to
-- id), the walk is one statement, the names a third: three statements.
SELECT "entities"."id", "entities"."source", "entities"."space", "entities"."kind", "entities"."kind_scope", "entities"."external_id", "entities"."name", "entities"."created_at", "entities"."updated_at" FROM "entities" WHERE "entities"."source" = :source AND "entities"."space" = :space AND "entities"."kind_scope" = '' AND "entities"."external_id" = :external_id LIMIT 1;
WITH RECURSIVE walk(root, node, depth, via, rels, seen) AS (SELECT e.id, e.id, 0, CAST(NULL AS BIGINT), CAST(',' AS TEXT), CAST(',' || e.id || ',' AS TEXT) FROM entities e WHERE e.id = ANY(:anchors) UNION ALL SELECT w.root, CASE WHEN r.from_id = w.node THEN r.to_id ELSE r.from_id END, w.depth + 1, r.id, w.rels || r.id || ',', w.seen || (CASE WHEN r.from_id = w.node THEN r.to_id ELSE r.from_id END) || ',' FROM walk w JOIN relations r ON (r.from_id = w.node OR r.to_id = w.node) WHERE w.depth < :depth AND ((r.from_id = w.node AND TRUE) OR (r.to_id = w.node AND TRUE)) AND w.seen NOT LIKE ('%,' || (CASE WHEN r.from_id = w.node THEN r.to_id ELSE r.from_id END) || ',%')), visited AS MATERIALIZED (SELECT root, node, depth, via, rels, seen FROM walk LIMIT :max_rows) , firsts AS (SELECT root, node, depth, via, ROW_NUMBER() OVER (PARTITION BY root, node ORDER BY depth, via) AS pick FROM visited WHERE node <> root), ranked AS (SELECT root, node, depth, via, depth * 72057594037927936 + node AS k, COUNT(*) OVER (PARTITION BY root) AS total FROM firsts WHERE pick = 1) SELECT v.n, p.root, p.node, p.depth, p.via, p.total FROM (SELECT COUNT(*) AS n FROM visited) v LEFT JOIN (SELECT root, node, depth, via, total, ROW_NUMBER() OVER (PARTITION BY root ORDER BY k ASC) AS rn FROM ranked WHERE TRUE) p ON p.rn <= :first ORDER BY p.root, p.rn;
SELECT id, name FROM entities WHERE id = ANY(:ids);
