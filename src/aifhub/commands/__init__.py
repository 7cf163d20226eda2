"""The commands of the platform itself (serve, worker, db, demo, create-admin).

Each domain's commands live in the domain (`<domain>/cli.py`) and are registered through
its module object (`aifhub.domains`).
"""
