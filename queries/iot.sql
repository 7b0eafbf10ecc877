-- IoT sensors: average temperature per device in 10-second windows, and one alert per
-- window (EMIT FINAL: only when the window has closed) for devices running hot.
-- RETENTION keeps a closed window in the store until its final result is out, even when
-- one record moves stream time past several windows at once.
-- Run it with: cargo run -- run queries/iot.sql --bounded
DROP TABLE IF EXISTS overheating DELETE TOPIC;
DROP TABLE IF EXISTS device_stats DELETE TOPIC;
DROP STREAM IF EXISTS readings DELETE TOPIC;

CREATE STREAM readings (device_id STRING KEY, temperature DOUBLE, humidity DOUBLE)
  WITH (kafka_topic='readings', partitions=1, value_format='JSON');

INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (1000, 'd1', 21.5, 40.0);
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (2000, 'd2', 78.0, 20.0);
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (4000, 'd1', 22.5, 41.0);
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (6000, 'd2', 82.0, 19.0);
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (12000, 'd1', 23.0, 42.0);
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (14000, 'd2', 60.0, 25.0);
-- A late reading for the first window, within the grace period.
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (9000, 'd1', 90.0, 40.0);
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (25000, 'd1', 21.0, 40.0);
-- Too late: stream time is 25 s, past the first window's end plus grace.
INSERT INTO readings (ROWTIME, device_id, temperature, humidity) VALUES (3000, 'd2', 99.0, 10.0);

-- Every change to every window, as it happens.
CREATE TABLE device_stats AS
  SELECT device_id, COUNT(*) AS readings, AVG(temperature) AS avg_temp, MAX(temperature) AS max_temp
  FROM readings
  WINDOW TUMBLING (SIZE 10 SECONDS, RETENTION 1 HOUR, GRACE PERIOD 5 SECONDS)
  GROUP BY device_id;

-- One row per closed window, only for hot devices.
CREATE TABLE overheating AS
  SELECT device_id, AVG(temperature) AS avg_temp
  FROM readings
  WINDOW TUMBLING (SIZE 10 SECONDS, RETENTION 1 HOUR, GRACE PERIOD 5 SECONDS)
  GROUP BY device_id
  HAVING AVG(temperature) > 50
  EMIT FINAL;

PRINT 'DEVICE_STATS' FROM BEGINNING;
PRINT 'OVERHEATING' FROM BEGINNING;
