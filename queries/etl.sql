-- ETL: clean raw signup events (trim, normalise case, parse numbers), map country codes
-- through a reference table, and aggregate signups per country and plan.
-- The same file runs as a continuous job (`runnel run queries/etl.sql`) or as a batch
-- over what is in the log (`runnel run queries/etl.sql --bounded`).
DROP TABLE IF EXISTS signups_by_country DELETE TOPIC;
DROP STREAM IF EXISTS signups_enriched DELETE TOPIC;
DROP STREAM IF EXISTS signups_clean DELETE TOPIC;
DROP STREAM IF EXISTS signups_raw DELETE TOPIC;
DROP TABLE IF EXISTS countries DELETE TOPIC;

CREATE STREAM signups_raw (id STRING KEY, email STRING, country_code STRING, plan STRING, seats STRING)
  WITH (kafka_topic='signups_raw', partitions=1, value_format='JSON');

CREATE TABLE countries (code STRING PRIMARY KEY, country STRING, region STRING)
  WITH (kafka_topic='countries', partitions=1, value_format='JSON');

INSERT INTO countries (ROWTIME, code, country, region) VALUES (0, 'DE', 'Germany', 'EMEA');
INSERT INTO countries (ROWTIME, code, country, region) VALUES (0, 'JP', 'Japan', 'APAC');
INSERT INTO countries (ROWTIME, code, country, region) VALUES (0, 'BR', 'Brazil', 'LATAM');

INSERT INTO signups_raw (ROWTIME, id, email, country_code, plan, seats) VALUES (1000, 's1', '  Ann@Example.COM ', 'de', 'pro', '5');
INSERT INTO signups_raw (ROWTIME, id, email, country_code, plan, seats) VALUES (2000, 's2', 'kenji@example.jp', 'JP ', 'Team', '12');
INSERT INTO signups_raw (ROWTIME, id, email, country_code, plan, seats) VALUES (3000, 's3', 'no-at-sign', 'BR', 'free', '1');
INSERT INTO signups_raw (ROWTIME, id, email, country_code, plan, seats) VALUES (4000, 's4', 'lu@example.br', 'br', 'PRO', 'many');
INSERT INTO signups_raw (ROWTIME, id, email, country_code, plan, seats) VALUES (5000, 's5', 'max@example.de', 'DE', 'team', '3');

-- Clean: normalise, drop what cannot be an email. A seats value that is not a number
-- becomes NULL and the failed cast goes to the processing log; the record is kept.
CREATE STREAM signups_clean AS
  SELECT id, LCASE(TRIM(email)) AS email, UCASE(TRIM(country_code)) AS code,
         UCASE(plan) AS plan, CAST(seats AS INT) AS seats
  FROM signups_raw
  WHERE INSTR(email, '@') > 0
  PARTITION BY UCASE(TRIM(country_code));

-- Map: join the reference table on the cleaned code.
CREATE STREAM signups_enriched AS
  SELECT s.code AS code, c.country AS country, c.region AS region, s.plan AS plan, s.seats AS seats
  FROM signups_clean s JOIN countries c ON s.code = c.code;

-- Aggregate.
CREATE TABLE signups_by_country AS
  SELECT country, COUNT(*) AS signups, SUM(seats) AS seats
  FROM signups_enriched
  GROUP BY country;

PRINT 'SIGNUPS_BY_COUNTRY' FROM BEGINNING;

-- The seats value 'many' did not parse: the processing log says which record and why.
SELECT * FROM RUNNEL_PROCESSING_LOG;
-- Pull queries read the materialized table.
SELECT * FROM signups_by_country WHERE country = 'Germany';
