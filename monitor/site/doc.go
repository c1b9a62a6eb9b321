// Package site reads the site file (TOML, docs/site.md): what a hospital
// sets once for all its consoles and records. The console's theatre, as the
// department view names it (never a patient); the display units of blood
// gases (kPa or mmHg), haemoglobin (g/dL or g/L) and glucose (mmol/L or
// mg/dL); the theatre's time zone, in which every time shown to a person is
// given; the interval of the report's observation grid; the cardioplegia
// solutions with their crystalloid part and re-dose interval; and the
// preset that fills the usual set-up entries (circuit, disposables, prime,
// checklist) so that a case needs little typing.
//
// Stored values never change unit: a sample keeps its channel's unit in
// the case file, the pipeline and every computation. Units converts only
// what is shown (Display) and what a person types (Display.Stored).
//
// A *Config is built by Load or Parse and read-only afterwards: safe for
// concurrent reads. Nothing here reads the clock or starts goroutines.
package site
