// Package analyte maps laboratory results onto the channel vocabulary, for
// the drivers of blood-gas analysers (astm, hl7) and for unit conversion in
// the generic driver:
//
//   - the blood-gas panel: the analytes the vocabulary carries as abg.*
//     (arterial sample), vbg.* (venous: mixed venous from the circuit),
//     cvbg.* (central venous) and bg.* (specimen not stated, for the
//     perfusionist to assign);
//   - the site of a sample (Sites.Infer): from the specimen field, then the
//     order's panel code (Panels), then the sibling results whose codes
//     name their specimen, then the site's default; never guessed, and
//     named in a note (Inference.AppendNote) that `pumpside decode` lists;
//     the descriptions recognised out of the box are DefaultSites' (HL7
//     tables 0487 and 0070, SNOMED CT specimen concepts, plain words);
//   - a test-code table (Table) from an analyser's codes to channels, built
//     from config and validated with errors that name the offending entry,
//     merged with a driver's built-in codes (WithDefaults) and described for
//     `pumpside devices` (Table.Specs);
//   - unit conversion from what a device writes (kPa, g/L, mg/dL, fraction,
//     °F, …) to a channel's unit (Convert); a result without a unit is
//     never read in an assumed one (Entry.Convert);
//   - result values with their range and doubt flags (ParseValue).
//
// Everything here is pure and safe for concurrent use once built; lookups
// with []byte keys and the inference do not allocate.
package analyte
