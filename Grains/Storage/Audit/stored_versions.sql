-- The verifier's first question after a run: which of these acknowledged orders does storage hold, and
-- at which version (the ETag the grain wrote with the state)? An order missing here, or stored older
-- than the version its caller was told about, is lost.
--
-- Run by LoadClient/Verify/Verifier.cs, which embeds this file. It reads the table directly on
-- purpose, not through OrderStore: an audit that went through the code it audits would share its bugs.
-- {table} is orders, or a table created LIKE orders (the bench's stateless baseline).
SELECT id, version FROM {table} WHERE id = ANY(@ids)
