"""The compute domain."""
