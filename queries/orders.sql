-- E-commerce orders: each order is enriched with its customer from a customers table,
-- and revenue per customer tier is kept up to date.
-- Run it with: cargo run -- run queries/orders.sql --bounded
DROP TABLE IF EXISTS revenue_by_tier DELETE TOPIC;
DROP STREAM IF EXISTS enriched_orders DELETE TOPIC;
DROP STREAM IF EXISTS orders DELETE TOPIC;
DROP TABLE IF EXISTS customers DELETE TOPIC;

CREATE TABLE customers (customer_id STRING PRIMARY KEY, name STRING, tier STRING, country STRING)
  WITH (kafka_topic='customers', partitions=1, value_format='JSON');

CREATE STREAM orders (order_id STRING KEY, customer_id STRING, item STRING, quantity INT, unit_price DECIMAL(8,2))
  WITH (kafka_topic='orders', partitions=1, value_format='JSON');

INSERT INTO customers (ROWTIME, customer_id, name, tier, country) VALUES (1000, 'c1', 'Ada', 'GOLD', 'UK');
INSERT INTO customers (ROWTIME, customer_id, name, tier, country) VALUES (1000, 'c2', 'Grace', 'SILVER', 'US');
INSERT INTO customers (ROWTIME, customer_id, name, tier, country) VALUES (1000, 'c3', 'Linus', 'SILVER', 'FI');

INSERT INTO orders (ROWTIME, order_id, customer_id, item, quantity, unit_price) VALUES (2000, 'o1', 'c1', 'keyboard', 1, 89.00);
INSERT INTO orders (ROWTIME, order_id, customer_id, item, quantity, unit_price) VALUES (3000, 'o2', 'c2', 'mouse', 2, 25.50);
INSERT INTO orders (ROWTIME, order_id, customer_id, item, quantity, unit_price) VALUES (4000, 'o3', 'c9', 'cable', 3, 5.00);
-- Grace moves up a tier; her later orders count as GOLD.
INSERT INTO customers (ROWTIME, customer_id, name, tier, country) VALUES (5000, 'c2', 'Grace', 'GOLD', 'US');
INSERT INTO orders (ROWTIME, order_id, customer_id, item, quantity, unit_price) VALUES (6000, 'o4', 'c2', 'monitor', 1, 240.00);
INSERT INTO orders (ROWTIME, order_id, customer_id, item, quantity, unit_price) VALUES (7000, 'o5', 'c3', 'laptop', 1, 1200.00);

-- A LEFT JOIN keeps orders of unknown customers (o3) with a NULL tier.
CREATE STREAM enriched_orders AS
  SELECT o.order_id AS order_id, o.customer_id AS customer_id, c.name AS customer,
         COALESCE(c.tier, 'UNKNOWN') AS tier, o.item AS item,
         o.quantity * o.unit_price AS total
  FROM orders o LEFT JOIN customers c ON o.customer_id = c.customer_id;

CREATE TABLE revenue_by_tier AS
  SELECT tier, COUNT(*) AS orders, SUM(total) AS revenue
  FROM enriched_orders
  GROUP BY tier;

PRINT 'ENRICHED_ORDERS' FROM BEGINNING;
PRINT 'REVENUE_BY_TIER' FROM BEGINNING;

-- A pull query over the materialized table.
SELECT tier, orders, revenue FROM revenue_by_tier WHERE tier = 'GOLD';
SELECT tier, orders, revenue FROM revenue_by_tier ORDER BY revenue DESC;
