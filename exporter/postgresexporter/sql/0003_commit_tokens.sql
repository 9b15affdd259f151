-- One row per committed write, written in the write's own transaction. When the connection drops
-- while a COMMIT is acknowledged, the exporter looks its token up before writing the request
-- again: found, the request is done; absent, it was rolled back. Rows older than a day are pruned
-- by partition maintenance.
CREATE TABLE export_commits (
    token        uuid        PRIMARY KEY,
    committed_at timestamptz NOT NULL DEFAULT now()
);
