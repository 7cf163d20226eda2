"""The wire shapes of the API: request and response bodies, their field types and enums.

The bottom layer of the package: these modules import only the standard library and
pydantic, never SQLAlchemy, FastAPI, aifhub.core or a domain, so the SDK (aifhub.client)
and every domain share one definition of each shape. `<domain>.py` holds a domain's bodies
(XCreate / XUpdate / XRead), `enums/<domain>.py` the values stored and sent as strings.
"""
