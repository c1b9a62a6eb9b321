// Parses HL7 v2 messages with Redox's schema-based parser (npm
// @redoxengine/redox-hl7-v2), for Pumpside's tests: the message is read
// against the v2 message structures (for ORU^R01: PATIENT_RESULT, PATIENT,
// VISIT, ORDER_OBSERVATION, OBSERVATION groups). Usage: node hl7check.js
// FILE; prints the parse as JSON. Nothing here is Pumpside's code.
"use strict";
const fs = require("fs");
const hl7v2 = require("@redoxengine/redox-hl7-v2");
const raw = fs.readFileSync(process.argv[2], "utf8");
process.stdout.write(JSON.stringify(new hl7v2.Parser().parse(raw)) + "\n");
