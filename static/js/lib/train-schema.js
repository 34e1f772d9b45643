// The training request's fields — ranges, defaults and choices — read from the API's own
// OpenAPI schema, so the sliders can never disagree with the server's validation.

import { getJSON } from "./api.js";

let schemaPromise = null;

function resolveRef(doc, node) {
  while (node && node.$ref) {
    const path = node.$ref.replace(/^#\//, "").split("/");
    node = path.reduce((o, k) => o[k], doc);
  }
  return node;
}

/** Flatten anyOf [X, null] and refs into {type, minimum, maximum, default, enum, description}. */
function fieldInfo(doc, prop) {
  let p = resolveRef(doc, prop);
  const out = { default: p.default, description: p.description || "" };
  if (p.anyOf) {
    const real = p.anyOf.map((x) => resolveRef(doc, x)).find((x) => x.type !== "null");
    p = { ...real, ...p, anyOf: undefined };
  }
  if (p.allOf && p.allOf.length === 1) p = { ...resolveRef(doc, p.allOf[0]), ...p };
  out.type = p.type;
  out.enum = p.enum;
  out.minimum = p.minimum ?? (p.exclusiveMinimum !== undefined ? p.exclusiveMinimum : undefined);
  out.maximum = p.maximum ?? (p.exclusiveMaximum !== undefined ? p.exclusiveMaximum : undefined);
  if (out.default === undefined) out.default = p.default;
  return out;
}

function requestSchema(doc, path) {
  const op = doc.paths[path] && doc.paths[path].post;
  const body = op && op.requestBody && op.requestBody.content["application/json"].schema;
  const schema = resolveRef(doc, body);
  const fields = {};
  for (const [k, v] of Object.entries(schema.properties || {})) fields[k] = fieldInfo(doc, v);
  return fields;
}

/** {train: {field: info}, sweep: {field: info}} from /openapi.json (fetched once). */
export function loadTrainSchema() {
  if (!schemaPromise) {
    schemaPromise = getJSON("/openapi.json").then((doc) => ({
      train: requestSchema(doc, "/api/train"),
      sweep: requestSchema(doc, "/api/sweep"),
      doc,
    }));
  }
  return schemaPromise;
}
