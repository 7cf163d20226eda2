"""The storage domain."""
