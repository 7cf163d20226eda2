// Start Swagger UI on the OpenAPI page (a file, not an inline script, for the CSP).
window.ui = SwaggerUIBundle({
  url: document.body.dataset.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  // Without deep links: they are links inside each operation's button, which screen readers
  // and keyboards cannot reach apart (axe-core: nested-interactive).
  deepLinking: false,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
