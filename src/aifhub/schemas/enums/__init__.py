"""The string enums of each domain: the values its models store and its API sends."""
