"""PostgreSQL: connection pool, ordered SQL migrations, and the audit and feedback writers."""
