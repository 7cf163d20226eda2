"""Users, organisations, memberships, projects, project roles, API tokens, OIDC."""
