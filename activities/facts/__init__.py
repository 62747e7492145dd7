"""Facts about proposed actions, established by the system rather than claimed by the agent."""
