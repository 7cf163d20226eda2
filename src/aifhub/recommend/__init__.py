"""The recommend domain."""
