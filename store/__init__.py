"""PostgreSQL access shared by activities and the CLI: the pool, ordered SQL migrations, and the
read side of the audit trail (chain verification, reports, feedback export). No Temporal code."""
