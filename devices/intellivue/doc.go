// Package intellivue reads the Philips IntelliVue Data Export interface
// (MP series, MX series, X2), written from the public "Data Export
// Interface Programming Guide" (4535 642 59271): the arterial, pulmonary and
// central venous pressures, heart rate, SpO2, pulse, EtCO2, respiration
// rate, BIS and the temperatures by site, mapped by their labels.
//
// Decode reads the LAN transport (UDP datagrams) and the MIB/RS232 one
// (framed, escaped, FCS-checked), telling them apart by the framing. On a
// stream with read deadlines it holds the monitor's dialogue itself
// (association, MDS create result, extended polls renewed before they
// expire, keep-alives, release), keeping time with the deadlines; on a
// capture or a file it only reads. Respond plays the monitor's side, for the
// simulator.
//
// The driver registers as "intellivue". A Driver is used by one goroutine.
package intellivue
