-- Attribute filters on spans and logs (attributes @> '{"http.route": "/checkout"}', the shape of
-- Grafana's ad hoc filters) read these GIN indexes instead of every row of the day partitions.
-- jsonb_path_ops indexes hashes of whole paths: smaller and faster to maintain than the default
-- jsonb_ops, and it serves @>, the operator these filters use.
--
-- The exporter does not run this file as part of the migrations: it records it, then runs it
-- (attribute_index: true) or drops the two indexes (false) at start. A DBA migrating by hand
-- (create_schema: false) may apply it or leave it out.
CREATE INDEX IF NOT EXISTS spans_attributes_idx ON spans USING gin (attributes jsonb_path_ops);
CREATE INDEX IF NOT EXISTS logs_attributes_idx ON logs USING gin (attributes jsonb_path_ops);
