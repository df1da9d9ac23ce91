-- Orderly schema, version 1.
--
-- Orleans' ADO.NET providers issue only the queries stored in OrleansQuery, by key; they bind
-- parameters by name (@DeploymentId, @GrainIdHash, ...) and read result columns by name. That is
-- the whole contract (dotnet/orleans v10.0, src/AdoNet/Shared/PostgreSQL-Main.sql). The SQL below is
-- Orderly's own implementation of it, plus the orders table behind the day listing.
--
-- This file runs inside one transaction holding an advisory lock (see SchemaMigrator), once per
-- database; it does not need to be re-runnable on its own.

CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL PRIMARY KEY,
    QueryText varchar(8000) NOT NULL
);

------------------------------------------------------------------------------------------------
-- Clustering (membership). "Extended membership protocol": every change bumps the version row,
-- and a change is applied only if the caller saw the current version.
------------------------------------------------------------------------------------------------

CREATE TABLE OrleansMembershipVersionTable
(
    DeploymentId varchar(150) NOT NULL PRIMARY KEY,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer NOT NULL DEFAULT 0
);

CREATE TABLE OrleansMembershipTable
(
    DeploymentId varchar(150) NOT NULL REFERENCES OrleansMembershipVersionTable (DeploymentId),
    Address      varchar(45)  NOT NULL,
    Port         integer      NOT NULL,
    Generation   integer      NOT NULL,
    SiloName     varchar(150) NOT NULL,
    HostName     varchar(150) NOT NULL,
    Status       integer      NOT NULL,
    ProxyPort    integer      NULL,
    SuspectTimes varchar(8000) NULL,
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,
    PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Both membership writes bump the version row first and then touch the silo's row. When the second
-- step fails, the function leaves through its exception handler, which rolls back the whole block
-- (version bump included) and answers 0 — "not applied" — as Orleans expects.
CREATE FUNCTION orderly_membership_bump_version(p_deployment_id varchar, p_version integer)
    RETURNS boolean LANGUAGE sql AS
$$
    WITH bumped AS (
        UPDATE OrleansMembershipVersionTable
           SET Version = Version + 1, Timestamp = now()
         WHERE DeploymentId = p_deployment_id AND Version = p_version
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM bumped);
$$;

CREATE FUNCTION orderly_membership_insert(
    p_deployment_id varchar, p_address varchar, p_port integer, p_generation integer,
    p_silo_name varchar, p_host_name varchar, p_status integer, p_proxy_port integer,
    p_start_time timestamptz, p_i_am_alive_time timestamptz, p_version integer)
    RETURNS integer LANGUAGE plpgsql AS
$$
BEGIN
    IF NOT orderly_membership_bump_version(p_deployment_id, p_version) THEN
        RETURN 0;
    END IF;
    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
         p_start_time, p_i_am_alive_time);
    RETURN 1;
EXCEPTION WHEN unique_violation THEN
    -- Leaving through the handler rolls the block back, version bump included.
    RETURN 0;
END
$$;

CREATE FUNCTION orderly_membership_update(
    p_deployment_id varchar, p_address varchar, p_port integer, p_generation integer,
    p_status integer, p_suspect_times varchar, p_i_am_alive_time timestamptz, p_version integer)
    RETURNS integer LANGUAGE plpgsql AS
$$
BEGIN
    IF NOT orderly_membership_bump_version(p_deployment_id, p_version) THEN
        RETURN 0;
    END IF;
    UPDATE OrleansMembershipTable
       SET Status = p_status, SuspectTimes = p_suspect_times, IAmAliveTime = p_i_am_alive_time
     WHERE DeploymentId = p_deployment_id AND Address = p_address AND Port = p_port AND Generation = p_generation;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'OY001', MESSAGE = 'membership row missing';
    END IF;
    RETURN 1;
EXCEPTION WHEN SQLSTATE 'OY001' THEN
    RETURN 0;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
    WITH inserted AS (
        INSERT INTO OrleansMembershipVersionTable (DeploymentId) VALUES (@DeploymentId)
        ON CONFLICT (DeploymentId) DO NOTHING
        RETURNING 1)
    SELECT count(*)::int FROM inserted;
$q$),
('InsertMembershipKey', $q$
    SELECT orderly_membership_insert(@DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
                                     @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version);
$q$),
('UpdateMembershipKey', $q$
    SELECT orderly_membership_update(@DeploymentId, @Address, @Port, @Generation, @Status,
                                     @SuspectTimes, @IAmAliveTime, @Version);
$q$),
('UpdateIAmAlivetimeKey', $q$
    UPDATE OrleansMembershipTable
       SET IAmAliveTime = @IAmAliveTime
     WHERE DeploymentId = @DeploymentId AND Address = @Address AND Port = @Port AND Generation = @Generation;
$q$),
('MembershipReadRowKey', $q$
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
      FROM OrleansMembershipVersionTable v
      LEFT JOIN OrleansMembershipTable m
        ON m.DeploymentId = v.DeploymentId
       AND m.Address = @Address AND m.Port = @Port AND m.Generation = @Generation
     WHERE v.DeploymentId = @DeploymentId;
$q$),
('MembershipReadAllKey', $q$
    SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status,
           m.ProxyPort, m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
      FROM OrleansMembershipVersionTable v
      LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
     WHERE v.DeploymentId = @DeploymentId;
$q$),
('DeleteMembershipTableEntriesKey', $q$
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = @DeploymentId;
    DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = @DeploymentId;
$q$),
('GatewaysQueryKey', $q$
    SELECT Address, ProxyPort, Generation
      FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId AND Status = @Status AND ProxyPort > 0;
$q$),
('CleanupDefunctSiloEntriesKey', $q$
    DELETE FROM OrleansMembershipTable
     WHERE DeploymentId = @DeploymentId AND IAmAliveTime < @IAmAliveTime AND Status <> 3;
$q$);

------------------------------------------------------------------------------------------------
-- Grain state. Orderly serializes state as UTF-8 JSON, so it is kept as jsonb: readable with
-- plain SQL, and the orders table below is derived from it in the same statement.
-- The primary key makes concurrent first writes of one grain race safely (ON CONFLICT), without
-- locking the table.
------------------------------------------------------------------------------------------------

CREATE TABLE OrleansStorage
(
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NOT NULL DEFAULT '',
    ServiceId              varchar(150) NOT NULL,
    GrainIdHash            integer      NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    Payload                jsonb        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NOT NULL,
    PRIMARY KEY (GrainIdN0, GrainIdN1, GrainTypeString, ServiceId, GrainIdExtensionString)
);

-- What the day listing reads. One row per order, always the latest acknowledged version.
CREATE TABLE orders
(
    id              uuid        NOT NULL PRIMARY KEY,
    idempotency_key text        NULL,
    customer_id     text        NOT NULL,
    status          text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         int         NOT NULL,
    created_day     date        GENERATED ALWAYS AS ((created_at AT TIME ZONE 'UTC')::date) STORED,
    doc             jsonb       NOT NULL
);

CREATE INDEX orders_by_day ON orders (created_day, created_at, id);
CREATE INDEX orders_by_idempotency_key ON orders (customer_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Keeps orders in step with an order grain's state; never moves a row backwards.
CREATE FUNCTION orderly_project_order(p_state jsonb) RETURNS void LANGUAGE sql AS
$$
    INSERT INTO orders AS o (id, idempotency_key, customer_id, status, created_at, updated_at, version, doc)
    VALUES ((p_state->>'id')::uuid,
            p_state->>'idempotencyKey',
            p_state->>'customerId',
            p_state->>'status',
            (p_state->>'createdAt')::timestamptz,
            (p_state->>'updatedAt')::timestamptz,
            (p_state->>'version')::int,
            p_state - 'recentCommands' - 'placedBy')
    ON CONFLICT (id) DO UPDATE
       SET idempotency_key = EXCLUDED.idempotency_key,
           customer_id     = EXCLUDED.customer_id,
           status          = EXCLUDED.status,
           updated_at      = EXCLUDED.updated_at,
           version         = EXCLUDED.version,
           doc             = EXCLUDED.doc
     WHERE o.version < EXCLUDED.version;
$$;

-- WriteToStorageKey: returns the new version, or the caller's version unchanged when the write lost
-- a race (Orleans then raises InconsistentStateException and the activation re-reads).
CREATE FUNCTION orderly_write_state(
    p_grain_id_hash integer, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_type_hash integer,
    p_grain_type varchar, p_grain_id_extension varchar, p_service_id varchar,
    p_expected_version integer, p_payload bytea)
    RETURNS TABLE (NewGrainStateVersion integer) LANGUAGE plpgsql AS
$$
DECLARE
    v_state   jsonb := convert_from(p_payload, 'UTF8')::jsonb;
    v_version integer;
BEGIN
    IF p_expected_version IS NULL THEN
        INSERT INTO OrleansStorage (GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString, ServiceId,
                                    GrainIdHash, GrainTypeHash, Payload, Version)
        VALUES (p_grain_id_n0, p_grain_id_n1, p_grain_type, coalesce(p_grain_id_extension, ''), p_service_id,
                p_grain_id_hash, p_grain_type_hash, v_state, 1)
        ON CONFLICT DO NOTHING
        RETURNING Version INTO v_version;
    ELSE
        UPDATE OrleansStorage
           SET Payload = v_state, ModifiedOn = now(), Version = Version + 1
         WHERE GrainIdN0 = p_grain_id_n0 AND GrainIdN1 = p_grain_id_n1 AND GrainTypeString = p_grain_type
           AND ServiceId = p_service_id AND GrainIdExtensionString = coalesce(p_grain_id_extension, '')
           AND Version = p_expected_version
        RETURNING Version INTO v_version;
    END IF;

    IF v_version IS NULL THEN
        RETURN QUERY SELECT p_expected_version;
        RETURN;
    END IF;

    IF p_grain_type = 'order' THEN
        PERFORM orderly_project_order(v_state);
    END IF;
    RETURN QUERY SELECT v_version;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('WriteToStorageKey', $q$
    SELECT NewGrainStateVersion FROM orderly_write_state(@GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash,
        @GrainTypeString, @GrainIdExtensionString, @ServiceId, @GrainStateVersion, @PayloadBinary);
$q$),
('ReadFromStorageKey', $q$
    SELECT convert_to(Payload::text, 'UTF8') AS PayloadBinary, now() AS ModifiedOn, Version
      FROM OrleansStorage
     WHERE GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
       AND ServiceId = @ServiceId AND GrainIdExtensionString = coalesce(@GrainIdExtensionString, '')
       AND @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL;
$q$),
('ClearStorageKey', $q$
    UPDATE OrleansStorage
       SET Payload = NULL, Version = Version + 1, ModifiedOn = now()
     WHERE GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
       AND ServiceId = @ServiceId AND GrainIdExtensionString = coalesce(@GrainIdExtensionString, '')
       AND Version = @GrainStateVersion AND @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL
    RETURNING Version AS NewGrainStateVersion;
$q$),
('DeleteStorageKey', $q$
    DELETE FROM OrleansStorage
     WHERE GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1 AND GrainTypeString = @GrainTypeString
       AND ServiceId = @ServiceId AND GrainIdExtensionString = coalesce(@GrainIdExtensionString, '')
       AND Version = @GrainStateVersion AND @GrainIdHash IS NOT NULL AND @GrainTypeHash IS NOT NULL
    RETURNING Version + 1 AS NewGrainStateVersion;
$q$);
