"""The order side of the daemon: intake from the Redis Stream, exactly-once submission, reports, events."""
