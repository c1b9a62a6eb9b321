package fhirout

// The subset of FHIR R4 resources and data types Pumpside writes, as Go
// structs so that the JSON has a fixed field order (the same record gives
// the same bytes). Field names and cardinalities follow the R4 resource
// definitions; empty fields are left out.

type coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

type codeableConcept struct {
	Coding []coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

type identifier struct {
	Use    string           `json:"use,omitempty"`
	Type   *codeableConcept `json:"type,omitempty"`
	System string           `json:"system,omitempty"`
	Value  string           `json:"value,omitempty"`
}

type reference struct {
	Reference string `json:"reference,omitempty"`
	Type      string `json:"type,omitempty"`
	Display   string `json:"display,omitempty"`
}

type period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type quantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	System string  `json:"system,omitempty"`
	Code   string  `json:"code,omitempty"`
}

type annotation struct {
	Time string `json:"time,omitempty"`
	Text string `json:"text"`
}

type meta struct {
	Profile []string `json:"profile,omitempty"`
}

type patient struct {
	ResourceType string       `json:"resourceType"`
	Identifier   []identifier `json:"identifier"`
}

type encounter struct {
	ResourceType string       `json:"resourceType"`
	Identifier   []identifier `json:"identifier,omitempty"`
	Status       string       `json:"status"`
	Class        coding       `json:"class"`
	Subject      reference    `json:"subject"`
	Period       *period      `json:"period,omitempty"`
}

type procedure struct {
	ResourceType    string          `json:"resourceType"`
	Identifier      []identifier    `json:"identifier,omitempty"`
	Status          string          `json:"status"`
	Code            codeableConcept `json:"code"`
	Subject         reference       `json:"subject"`
	Encounter       *reference      `json:"encounter,omitempty"`
	PerformedPeriod *period         `json:"performedPeriod,omitempty"`
	Note            []annotation    `json:"note,omitempty"`
}

type observation struct {
	ResourceType      string            `json:"resourceType"`
	Meta              *meta             `json:"meta,omitempty"`
	Identifier        []identifier      `json:"identifier,omitempty"`
	Status            string            `json:"status"`
	Category          []codeableConcept `json:"category,omitempty"`
	Code              codeableConcept   `json:"code"`
	Subject           reference         `json:"subject"`
	Encounter         *reference        `json:"encounter,omitempty"`
	EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
	EffectivePeriod   *period           `json:"effectivePeriod,omitempty"`
	ValueQuantity     *quantity         `json:"valueQuantity,omitempty"`
	ValueDateTime     string            `json:"valueDateTime,omitempty"`
	ValueString       string            `json:"valueString,omitempty"`
	Interpretation    []codeableConcept `json:"interpretation,omitempty"`
	Note              []annotation      `json:"note,omitempty"`
	BodySite          *codeableConcept  `json:"bodySite,omitempty"`
	PartOf            []reference       `json:"partOf,omitempty"`
}

type dosage struct {
	Text  string           `json:"text,omitempty"`
	Route *codeableConcept `json:"route,omitempty"`
	Dose  *quantity        `json:"dose,omitempty"`
}

type medicationAdministration struct {
	ResourceType              string           `json:"resourceType"`
	Identifier                []identifier     `json:"identifier,omitempty"`
	Status                    string           `json:"status"`
	Category                  *codeableConcept `json:"category,omitempty"`
	MedicationCodeableConcept codeableConcept  `json:"medicationCodeableConcept"`
	Subject                   reference        `json:"subject"`
	Context                   *reference       `json:"context,omitempty"`
	EffectiveDateTime         string           `json:"effectiveDateTime"`
	PartOf                    []reference      `json:"partOf,omitempty"`
	Dosage                    *dosage          `json:"dosage,omitempty"`
}

type attachment struct {
	ContentType string `json:"contentType"`
	Data        string `json:"data"`
	Title       string `json:"title,omitempty"`
	Creation    string `json:"creation,omitempty"`
}

type docContent struct {
	Attachment attachment `json:"attachment"`
}

type docContext struct {
	Encounter []reference `json:"encounter,omitempty"`
	Period    *period     `json:"period,omitempty"`
}

type documentReference struct {
	ResourceType string          `json:"resourceType"`
	Identifier   []identifier    `json:"identifier,omitempty"`
	Status       string          `json:"status"`
	Type         codeableConcept `json:"type"`
	Subject      reference       `json:"subject"`
	Date         string          `json:"date,omitempty"`
	Description  string          `json:"description,omitempty"`
	Content      []docContent    `json:"content"`
	Context      *docContext     `json:"context,omitempty"`
}

type request struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	IfNoneExist string `json:"ifNoneExist,omitempty"`
}

type entry struct {
	FullURL  string  `json:"fullUrl"`
	Resource any     `json:"resource"`
	Request  request `json:"request"`
}

type bundle struct {
	ResourceType string  `json:"resourceType"`
	Type         string  `json:"type"`
	Entry        []entry `json:"entry"`
}
