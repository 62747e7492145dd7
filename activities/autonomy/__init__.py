"""Progressive autonomy and shadow-mode stores (PostgreSQL)."""
