"""The ecosystem domain."""
