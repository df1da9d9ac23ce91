-- Orderly schema, version 3: one row per order.
--
-- Until version 2 every acknowledged order change wrote two rows in one function: the grain state
-- (OrleansStorage.Payload) and its copy in orders for the day listing. From here an order's state
-- lives only in its orders row: doc holds the whole state document the grain stores, version is the
-- ETag. Other grain types keep the generic table (now orleans_grain_state). One statement, one row.
--
-- The JSON names read below (status, customerId, ...) are OrderJsonNames in
-- Grains/Storage/OrderState.cs; OrderStorageTests fails when the two disagree.
--
-- Rolling upgrade: silos still running the previous build have cached the previous query texts
-- (the ADO.NET provider reads OrleansQuery once at start). They keep working:
--   WriteToStorageKey  called orderly_write_state(...); same signature, which now routes orders here.
--   ReadFromStorageKey read the table OrleansStorage; OrleansStorage is now a view over both tables.
--     For orders the view cannot use an index (the grain key is computed from the id), so an old
--     silo's first read of an order scans orders; that lasts only as long as the rollout.
--   Clear/DeleteStorageKey updated/deleted OrleansStorage; the view's INSTEAD OF trigger forwards them.
-- The current texts call functions only, so the next change of shape needs no new texts.
--
-- Re-runnable: every step checks what is already there, so applying this file twice changes nothing.

------------------------------------------------------------------------------------------------
-- The grain key <-> order id mapping. Orleans passes a Guid key as two bigints taken from
-- Guid.ToByteArray() (little-endian halves; see AdoGrainKey in dotnet/orleans).
------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION orderly_grain_guid(p_n0 bigint, p_n1 bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$
    -- n0 holds Data1 (4 bytes), Data2, Data3 little-endian: as big-endian hex it reads Data3 Data2 Data1.
    -- n1 holds bytes 8..15 in order, read little-endian: reverse its bytes.
    SELECT (substr(h0, 9, 8) || substr(h0, 5, 4) || substr(h0, 1, 4) ||
            substr(h1, 15, 2) || substr(h1, 13, 2) || substr(h1, 11, 2) || substr(h1, 9, 2) ||
            substr(h1, 7, 2) || substr(h1, 5, 2) || substr(h1, 3, 2) || substr(h1, 1, 2))::uuid
      FROM (SELECT lpad(to_hex(p_n0), 16, '0') AS h0, lpad(to_hex(p_n1), 16, '0') AS h1) AS k;
$$;

CREATE OR REPLACE FUNCTION orderly_grain_n0(p_id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$
    SELECT ('x' || substr(h, 13, 4) || substr(h, 9, 4) || substr(h, 1, 8))::bit(64)::bigint
      FROM (SELECT replace(p_id::text, '-', '') AS h) AS k;
$$;

CREATE OR REPLACE FUNCTION orderly_grain_n1(p_id uuid) RETURNS bigint
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS
$$
    SELECT ('x' || substr(h, 31, 2) || substr(h, 29, 2) || substr(h, 27, 2) || substr(h, 25, 2) ||
                   substr(h, 23, 2) || substr(h, 21, 2) || substr(h, 19, 2) || substr(h, 17, 2))::bit(64)::bigint
      FROM (SELECT replace(p_id::text, '-', '') AS h) AS k;
$$;

------------------------------------------------------------------------------------------------
-- The generic table keeps its name's old meaning only through the view below.
------------------------------------------------------------------------------------------------

DO $$
BEGIN
    IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('orleansstorage')) = 'r' THEN
        ALTER TABLE OrleansStorage RENAME TO orleans_grain_state;
    END IF;
END
$$;

-- The Orleans service ids whose orders the compatibility view shows (orders themselves do not
-- record one: an orders table belongs to one service).
CREATE TABLE IF NOT EXISTS orderly_order_service
(
    service_id varchar(150) NOT NULL PRIMARY KEY
);

INSERT INTO orderly_order_service (service_id)
SELECT DISTINCT ServiceId FROM orleans_grain_state WHERE GrainTypeString = 'order'
ON CONFLICT DO NOTHING;

-- Move every stored order into its orders row: the whole state document and the storage version,
-- so an activation on an old silo still holds a valid ETag afterwards.
INSERT INTO orders AS o (id, idempotency_key, customer_id, status, created_at, updated_at, version, doc)
SELECT orderly_grain_guid(s.GrainIdN0, s.GrainIdN1),
       s.Payload->>'idempotencyKey',
       s.Payload->>'customerId',
       s.Payload->>'status',
       (s.Payload->>'createdAt')::timestamptz,
       (s.Payload->>'updatedAt')::timestamptz,
       s.Version,
       s.Payload
  FROM orleans_grain_state s
 WHERE s.GrainTypeString = 'order' AND s.Payload IS NOT NULL
ON CONFLICT (id) DO UPDATE
   SET idempotency_key = EXCLUDED.idempotency_key,
       customer_id     = EXCLUDED.customer_id,
       status          = EXCLUDED.status,
       updated_at      = EXCLUDED.updated_at,
       version         = EXCLUDED.version,
       doc             = EXCLUDED.doc;

DELETE FROM orleans_grain_state WHERE GrainTypeString = 'order';

DROP FUNCTION IF EXISTS orderly_project_order(jsonb);

------------------------------------------------------------------------------------------------
-- Writes. Same signature as version 1 (old silos call it by this text). An order write is one
-- statement on one row: insert-if-absent for a new order (null expected version), otherwise an
-- update at the expected version. A lost race returns the caller's version unchanged, which the
-- provider turns into InconsistentStateException.
------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION orderly_write_state(
    p_grain_id_hash integer, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_type_hash integer,
    p_grain_type varchar, p_grain_id_extension varchar, p_service_id varchar,
    p_expected_version integer, p_payload bytea)
    RETURNS TABLE (NewGrainStateVersion integer) LANGUAGE plpgsql AS
$$
DECLARE
    v_state   jsonb := convert_from(p_payload, 'UTF8')::jsonb;
    v_version integer;
BEGIN
    IF p_grain_type = 'order' THEN
        IF p_expected_version IS NULL THEN
            INSERT INTO orders (id, idempotency_key, customer_id, status, created_at, updated_at, version, doc)
            VALUES (orderly_grain_guid(p_grain_id_n0, p_grain_id_n1),
                    v_state->>'idempotencyKey',
                    v_state->>'customerId',
                    v_state->>'status',
                    (v_state->>'createdAt')::timestamptz,
                    (v_state->>'updatedAt')::timestamptz,
                    1,
                    v_state)
            ON CONFLICT (id) DO NOTHING
            RETURNING version INTO v_version;
        ELSE
            UPDATE orders
               SET idempotency_key = v_state->>'idempotencyKey',
                   customer_id     = v_state->>'customerId',
                   status          = v_state->>'status',
                   updated_at      = (v_state->>'updatedAt')::timestamptz,
                   version         = version + 1,
                   doc             = v_state
             WHERE id = orderly_grain_guid(p_grain_id_n0, p_grain_id_n1) AND version = p_expected_version
            RETURNING version INTO v_version;
        END IF;
    ELSIF p_expected_version IS NULL THEN
        INSERT INTO orleans_grain_state (GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString, ServiceId,
                                         GrainIdHash, GrainTypeHash, Payload, Version)
        VALUES (p_grain_id_n0, p_grain_id_n1, p_grain_type, coalesce(p_grain_id_extension, ''), p_service_id,
                p_grain_id_hash, p_grain_type_hash, v_state, 1)
        ON CONFLICT DO NOTHING
        RETURNING Version INTO v_version;
    ELSE
        UPDATE orleans_grain_state
           SET Payload = v_state, ModifiedOn = now(), Version = Version + 1
         WHERE GrainIdN0 = p_grain_id_n0 AND GrainIdN1 = p_grain_id_n1 AND GrainTypeString = p_grain_type
           AND ServiceId = p_service_id AND GrainIdExtensionString = coalesce(p_grain_id_extension, '')
           AND Version = p_expected_version
        RETURNING Version INTO v_version;
    END IF;

    RETURN QUERY SELECT coalesce(v_version, p_expected_version);
END
$$;

------------------------------------------------------------------------------------------------
-- Reads, clears, deletes: the same routing. An order is never cleared or deleted by Orderly;
-- refusing loudly beats guessing what an order with no state should look like in the listing.
------------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION orderly_read_state(
    p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_type varchar, p_grain_id_extension varchar,
    p_service_id varchar)
    RETURNS TABLE (PayloadBinary bytea, ModifiedOn timestamptz, Version integer) LANGUAGE plpgsql STABLE AS
$$
BEGIN
    IF p_grain_type = 'order' THEN
        RETURN QUERY
            SELECT convert_to(o.doc::text, 'UTF8'), o.updated_at, o.version
              FROM orders o
             WHERE o.id = orderly_grain_guid(p_grain_id_n0, p_grain_id_n1);
    ELSE
        RETURN QUERY
            SELECT convert_to(s.Payload::text, 'UTF8'), s.ModifiedOn, s.Version
              FROM orleans_grain_state s
             WHERE s.GrainIdN0 = p_grain_id_n0 AND s.GrainIdN1 = p_grain_id_n1 AND s.GrainTypeString = p_grain_type
               AND s.ServiceId = p_service_id AND s.GrainIdExtensionString = coalesce(p_grain_id_extension, '');
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION orderly_clear_state(
    p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_type varchar, p_grain_id_extension varchar,
    p_service_id varchar, p_expected_version integer, p_delete boolean)
    RETURNS TABLE (NewGrainStateVersion integer) LANGUAGE plpgsql AS
$$
BEGIN
    IF p_grain_type = 'order' THEN
        RAISE EXCEPTION USING ERRCODE = 'OY002', MESSAGE = 'orders are never cleared or deleted';
    ELSIF p_delete THEN
        RETURN QUERY
            DELETE FROM orleans_grain_state s
             WHERE s.GrainIdN0 = p_grain_id_n0 AND s.GrainIdN1 = p_grain_id_n1 AND s.GrainTypeString = p_grain_type
               AND s.ServiceId = p_service_id AND s.GrainIdExtensionString = coalesce(p_grain_id_extension, '')
               AND s.Version = p_expected_version
            RETURNING s.Version + 1;
    ELSE
        RETURN QUERY
            UPDATE orleans_grain_state s
               SET Payload = NULL, Version = s.Version + 1, ModifiedOn = now()
             WHERE s.GrainIdN0 = p_grain_id_n0 AND s.GrainIdN1 = p_grain_id_n1 AND s.GrainTypeString = p_grain_type
               AND s.ServiceId = p_service_id AND s.GrainIdExtensionString = coalesce(p_grain_id_extension, '')
               AND s.Version = p_expected_version
            RETURNING s.Version;
    END IF;
END
$$;

------------------------------------------------------------------------------------------------
-- The compatibility view for the previous build's cached texts.
------------------------------------------------------------------------------------------------

CREATE OR REPLACE VIEW OrleansStorage AS
    SELECT GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString, ServiceId, GrainIdHash, GrainTypeHash,
           Payload, ModifiedOn, Version
      FROM orleans_grain_state
    UNION ALL
    SELECT orderly_grain_n0(o.id), orderly_grain_n1(o.id), 'order'::varchar(512), ''::varchar(512), s.service_id,
           0, 0, o.doc, o.updated_at, o.version
      FROM orders o CROSS JOIN orderly_order_service s;

CREATE OR REPLACE FUNCTION orderly_storage_view_change() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
    v_version integer;
BEGIN
    SELECT c.NewGrainStateVersion INTO v_version
      FROM orderly_clear_state(OLD.GrainIdN0, OLD.GrainIdN1, OLD.GrainTypeString, OLD.GrainIdExtensionString,
                               OLD.ServiceId, OLD.Version, TG_OP = 'DELETE') AS c;
    IF v_version IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    NEW.Version := v_version;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS orleans_storage_change ON OrleansStorage;
CREATE TRIGGER orleans_storage_change INSTEAD OF UPDATE OR DELETE ON OrleansStorage
    FOR EACH ROW EXECUTE FUNCTION orderly_storage_view_change();

UPDATE OrleansQuery SET QueryText = $q$
    SELECT PayloadBinary, ModifiedOn, Version
      FROM orderly_read_state(@GrainIdN0, @GrainIdN1, @GrainTypeString, @GrainIdExtensionString, @ServiceId)
     WHERE @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL;
$q$ WHERE QueryKey = 'ReadFromStorageKey';

UPDATE OrleansQuery SET QueryText = $q$
    SELECT NewGrainStateVersion
      FROM orderly_clear_state(@GrainIdN0, @GrainIdN1, @GrainTypeString, @GrainIdExtensionString, @ServiceId,
                               @GrainStateVersion, false)
     WHERE @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL;
$q$ WHERE QueryKey = 'ClearStorageKey';

UPDATE OrleansQuery SET QueryText = $q$
    SELECT NewGrainStateVersion
      FROM orderly_clear_state(@GrainIdN0, @GrainIdN1, @GrainTypeString, @GrainIdExtensionString, @ServiceId,
                               @GrainStateVersion, true)
     WHERE @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL;
$q$ WHERE QueryKey = 'DeleteStorageKey';
