-- An event-sourced bank: each account's balance is a fold over its transactions.
-- A mistaken withdrawal is undone by a compensating event (the log keeps both), and a
-- second table replays the whole log from the beginning without the bad pair.
-- Run it with: cargo run -- run queries/bank.sql --bounded
DROP TABLE IF EXISTS balances DELETE TOPIC;
DROP TABLE IF EXISTS balances_audited DELETE TOPIC;
DROP STREAM IF EXISTS transactions DELETE TOPIC;

CREATE STREAM transactions (txn_id STRING KEY, account STRING, amount DECIMAL(10,2), kind STRING)
  WITH (kafka_topic='transactions', partitions=1, value_format='JSON');

INSERT INTO transactions (ROWTIME, txn_id, account, amount, kind) VALUES (1000, 'T1', 'acc-1', 100.00, 'DEPOSIT');
INSERT INTO transactions (ROWTIME, txn_id, account, amount, kind) VALUES (2000, 'T2', 'acc-2', 250.00, 'DEPOSIT');
INSERT INTO transactions (ROWTIME, txn_id, account, amount, kind) VALUES (3000, 'T3', 'acc-1', -30.00, 'WITHDRAWAL');
INSERT INTO transactions (ROWTIME, txn_id, account, amount, kind) VALUES (4000, 'T4', 'acc-2', -999.00, 'WITHDRAWAL');
-- T4 was a mistake: T5 compensates it.
INSERT INTO transactions (ROWTIME, txn_id, account, amount, kind) VALUES (5000, 'T5', 'acc-2', 999.00, 'REVERSAL');
INSERT INTO transactions (ROWTIME, txn_id, account, amount, kind) VALUES (6000, 'T6', 'acc-1', 45.50, 'DEPOSIT');

-- The balance as the ledger tells it: every event counts.
CREATE TABLE balances AS
  SELECT account, SUM(amount) AS balance, COUNT(*) AS events
  FROM transactions
  GROUP BY account;

-- The same fold, replayed from the start of the log without the bad event and its
-- compensation: state is a function of the log, so it can be rebuilt at any time.
CREATE TABLE balances_audited AS
  SELECT account, SUM(amount) AS balance, COUNT(*) AS events
  FROM transactions
  WHERE txn_id NOT IN ('T4', 'T5')
  GROUP BY account;

PRINT 'BALANCES' FROM BEGINNING;
PRINT 'BALANCES_AUDITED' FROM BEGINNING;

-- Pull queries read the tables as they are now.
SELECT account, balance, events FROM balances ORDER BY account;
SELECT account, balance FROM balances ORDER BY balance DESC LIMIT 1;
SELECT account, balance FROM balances_audited WHERE account = 'acc-2';
