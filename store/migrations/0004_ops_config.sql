-- The configuration store the configuration-change example acts on.

CREATE SCHEMA ops;

CREATE TABLE ops.config_values (
    service    text NOT NULL,
    key        text NOT NULL,
    value      jsonb NOT NULL,
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, key)
);

-- One row per applied change: what it replaced, so that it can be undone exactly.
CREATE TABLE ops.config_changes (
    idempotency_key  text PRIMARY KEY,
    service          text NOT NULL,
    key              text NOT NULL,
    previous_value   jsonb,
    previous_version integer NOT NULL,
    new_value        jsonb NOT NULL,
    new_version      integer NOT NULL,
    applied_at       timestamptz NOT NULL DEFAULT now(),
    reverted_at      timestamptz
);
