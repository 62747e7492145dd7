-- Every settled request says whether the decisions that settled it carried a verified proof
-- (a reviewer's pinned key or a pinned issuer's token) or were only asserted (docs/identity.md).
-- Rows written before proofs existed were asserted.

ALTER TABLE feedback ADD COLUMN verified boolean NOT NULL DEFAULT false;
