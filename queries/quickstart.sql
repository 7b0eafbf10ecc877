-- Runnel quickstart: page views land in a stream, a persistent query keeps the
-- long ones, and PRINT shows the log behind the derived stream.
-- Run it with: cargo run -- run queries/quickstart.sql --bounded
DROP STREAM IF EXISTS long_views DELETE TOPIC;
DROP STREAM IF EXISTS pageviews DELETE TOPIC;

CREATE STREAM pageviews (user_id STRING KEY, page STRING, duration_ms INT)
  WITH (kafka_topic='pageviews', partitions=2, value_format='JSON');

-- ROWTIME (event time, ms since the epoch) is optional; without it a record gets the
-- time it was appended.
INSERT INTO pageviews (ROWTIME, user_id, page, duration_ms) VALUES (1767225600000, 'alice', '/home', 1200);
INSERT INTO pageviews (ROWTIME, user_id, page, duration_ms) VALUES (1767225601000, 'bob', '/pricing', 300);
INSERT INTO pageviews (ROWTIME, user_id, page, duration_ms) VALUES (1767225602000, 'alice', '/docs', 4100);
INSERT INTO pageviews (ROWTIME, user_id, page, duration_ms) VALUES (1767225603000, 'carol', '/home', 2500);

CREATE STREAM long_views AS
  SELECT user_id, UCASE(page) AS page, duration_ms / 1000 AS seconds
  FROM pageviews
  WHERE duration_ms > 1000;

PRINT 'LONG_VIEWS' FROM BEGINNING;
