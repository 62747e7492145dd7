-- Audit trail, feedback store, and the demo shop the refund tools act on.

CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    event_key   text NOT NULL UNIQUE,
    task_id     text NOT NULL,
    workflow_id text NOT NULL,
    seq         integer NOT NULL,
    kind        text NOT NULL,
    actor       text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_task ON audit_events (task_id, occurred_at, seq);

CREATE TABLE feedback (
    feedback_key        text PRIMARY KEY,
    task_id             text NOT NULL,
    task_kind           text NOT NULL,
    request_id          text NOT NULL,
    step                integer NOT NULL,
    action_type         text NOT NULL,
    outcome             text NOT NULL,
    proposed_args       jsonb NOT NULL,
    final_args          jsonb,
    reason_code         text,
    comment             text NOT NULL DEFAULT '',
    confidence          double precision NOT NULL,
    reviewers           text[] NOT NULL,
    by_fallback         boolean NOT NULL DEFAULT false,
    escalations         integer NOT NULL DEFAULT 0,
    opened_at           timestamptz NOT NULL,
    decided_at          timestamptz NOT NULL,
    seconds_to_decision double precision NOT NULL,
    policy_hash         text NOT NULL DEFAULT ''
);
CREATE INDEX feedback_kind_action ON feedback (task_kind, action_type, decided_at);

CREATE SCHEMA shop;

CREATE TABLE shop.orders (
    order_id       text PRIMARY KEY,
    customer_email text NOT NULL,
    customer_tier  text NOT NULL DEFAULT 'standard',
    total          numeric(12, 2) NOT NULL,
    currency       text NOT NULL DEFAULT 'USD',
    ticket_id      text NOT NULL
);

CREATE TABLE shop.refunds (
    idempotency_key text PRIMARY KEY,
    order_id        text NOT NULL REFERENCES shop.orders (order_id),
    amount          numeric(12, 2) NOT NULL CHECK (amount > 0),
    currency        text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'reversed')),
    issued_at       timestamptz NOT NULL DEFAULT now(),
    reversed_at     timestamptz
);

CREATE TABLE shop.emails (
    idempotency_key text PRIMARY KEY,
    order_id        text NOT NULL,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    sent_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shop.tickets (
    ticket_id   text PRIMARY KEY,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    resolution  text NOT NULL DEFAULT '',
    updated_at  timestamptz NOT NULL DEFAULT now()
);
