"""The resources domain: clusters and partitions, declared in the site file, synced into tables."""
