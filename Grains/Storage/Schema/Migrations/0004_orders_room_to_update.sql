-- Orderly schema, version 4: room on every page of orders for an order's next versions.
--
-- An order is placed once and then changed four or five times within minutes (an address, packed,
-- shipped, delivered). Postgres can rewrite a row on its own page without touching any index (a HOT
-- update) only when that page has room for the new version. Filled to 100%, a page of orders placed
-- together by several silos at once is often full by the time they change: the bench's order
-- lifecycle at 2 + 2 found 66-92% of updates HOT in three runs (every other one wrote index entries on
-- a second page), and 411-453 bytes of WAL per request against 388-394 at 1 + 1. Run side by side with
-- a fifth of each page left free, every update was HOT and 2 + 2 wrote what 1 + 1 did, 389 bytes
-- (docs/performance.md).
--
-- Only pages filled from now on keep the room; existing ones are not rewritten. The lock this takes
-- (SHARE UPDATE EXCLUSIVE) lets reads and writes go on, so it is safe during a rolling upgrade.
-- Re-runnable: setting the same value twice changes nothing.

ALTER TABLE orders SET (fillfactor = 80);
