"""The recommend domain: the top of the domain layers, so no other domain imports it.

Its API, pages and tasks reach the app through its module object (`recommend/module.py`).
"""
