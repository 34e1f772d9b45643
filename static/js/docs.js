// Starts Swagger UI on /docs (kept out of the page so the CSP needs no inline script).
const el = document.getElementById("swagger-ui");
window.SwaggerUIBundle({ url: el.dataset.openapiUrl, dom_id: "#swagger-ui", deepLinking: true });
