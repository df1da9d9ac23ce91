-- The verifier's second question: did any customer's Idempotency-Key become more than one order?
-- Every row past the first of a (customer, key) pair is a duplicate. Only the run's own customers
-- (their ids start with @prefix) are counted, so earlier runs in the same database do not count.
--
-- Run by LoadClient/Verify/Verifier.cs, which embeds this file; {table} as in stored_versions.sql.
SELECT customer_id, idempotency_key, count(*) FROM {table}
WHERE customer_id LIKE @prefix AND idempotency_key IS NOT NULL
GROUP BY customer_id, idempotency_key HAVING count(*) > 1
