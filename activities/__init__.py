"""Every side effect: the agent, tools and their undo, notifications, the audit and feedback store.

Activities that need resources are methods of classes whose dependencies (an asyncpg pool, an
outbox path) are injected by the worker. Every write is idempotent on a key from its input.
"""
