"""Server-rendered pages: templates, static files, layout helpers."""
