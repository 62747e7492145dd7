"""Activities that write the audit trail and feedback, with their metrics."""
