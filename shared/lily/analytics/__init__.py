"""Analytics: engagement metrics collected over time for published posts, and what the analytics API reads."""
