// Package analyte maps laboratory results onto the channel vocabulary, for
// the drivers of blood-gas analysers (astm, hl7) and for unit conversion in
// the generic driver:
//
//   - the blood-gas panel: the analytes the vocabulary carries as abg.* for
//     an arterial sample and vbg.* for a venous one;
//   - the site of a sample, from a specimen description (Sites, with
//     DefaultSites: HL7 table 0487 codes and plain words);
//   - a test-code table (Table) from an analyser's codes to channels, built
//     from config and validated with errors that name the offending entry,
//     merged with a driver's built-in codes (WithDefaults) and described for
//     `pumpside devices` (Table.Specs);
//   - unit conversion from what a device writes (kPa, g/L, mg/dL, fraction,
//     °F, …) to a channel's unit (Convert);
//   - result values with their range flags (ParseValue).
//
// Everything here is pure and safe for concurrent use once built; lookups
// with []byte keys do not allocate.
package analyte
