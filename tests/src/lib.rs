//! Support for the integration tests: local services started on free loopback ports and stopped when dropped.
