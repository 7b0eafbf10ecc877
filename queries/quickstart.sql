-- Runnel quickstart: page views land in a stream, a persistent query keeps the
-- long ones, and PRINT shows the log behind the derived stream.
-- Run it with: cargo run -- run queries/quickstart.sql --bounded

CREATE STREAM pageviews (user_id STRING KEY, page STRING, duration_ms INT)
  WITH (kafka_topic='pageviews', partitions=2, value_format='JSON');

INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('alice', '/home', 1200);
INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('bob', '/pricing', 300);
INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('alice', '/docs', 4100);
INSERT INTO pageviews (user_id, page, duration_ms) VALUES ('carol', '/home', 2500);

CREATE STREAM long_views AS
  SELECT user_id, UCASE(page) AS page, duration_ms / 1000 AS seconds
  FROM pageviews
  WHERE duration_ms > 1000;

PRINT 'LONG_VIEWS' FROM BEGINNING;
