-- Clickstream: page views per page in one-minute tumbling windows.
-- Run it with: cargo run -- run queries/clickstream.sql --bounded
DROP TABLE IF EXISTS page_views_per_minute DELETE TOPIC;
DROP STREAM IF EXISTS clicks DELETE TOPIC;

CREATE STREAM clicks (user_id STRING KEY, page STRING, referrer STRING)
  WITH (kafka_topic='clicks', partitions=1, value_format='JSON');

-- ROWTIME is the event time in milliseconds: 00:00:05, 00:00:20, ... past the epoch.
INSERT INTO clicks (ROWTIME, user_id, page, referrer) VALUES (5000, 'alice', '/home', 'search');
INSERT INTO clicks (ROWTIME, user_id, page, referrer) VALUES (20000, 'bob', '/pricing', 'ad');
INSERT INTO clicks (ROWTIME, user_id, page, referrer) VALUES (41000, 'alice', '/home', 'direct');
INSERT INTO clicks (ROWTIME, user_id, page, referrer) VALUES (65000, 'carol', '/home', 'search');
INSERT INTO clicks (ROWTIME, user_id, page, referrer) VALUES (70000, 'alice', '/pricing', 'direct');
INSERT INTO clicks (ROWTIME, user_id, page, referrer) VALUES (125000, 'bob', '/docs', 'search');

CREATE TABLE page_views_per_minute AS
  SELECT page, COUNT(*) AS views, COUNT_DISTINCT(user_id) AS visitors
  FROM clicks
  WINDOW TUMBLING (SIZE 1 MINUTE)
  GROUP BY page;

PRINT 'PAGE_VIEWS_PER_MINUTE' FROM BEGINNING;

-- A pull query on the windowed table: the windows of one page.
SELECT page, WINDOWSTART, WINDOWEND, views, visitors FROM page_views_per_minute WHERE page = '/home';
