"""The backend tests use the shared Slurm and bubblewrap fixtures of tests/conftest.py."""
