-- Feedback rows say which kind of request they settle (approval, question, incident, post_review),
-- so that reports count SLA breaches of approval ladders only, not post-review windows closing.

ALTER TABLE feedback ADD COLUMN request_kind text NOT NULL DEFAULT 'approval';

-- Request ids are `<kind>-<step>[.<n>]` (workflows/gate/gate.py).
UPDATE feedback SET request_kind = split_part(request_id, '-', 1)
WHERE split_part(request_id, '-', 1) IN ('approval', 'question', 'incident', 'post_review');

CREATE INDEX feedback_decided_at ON feedback (decided_at);
