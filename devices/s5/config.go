package s5

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
)

// Duration is a time.Duration written in config as "5s", "1m".
type Duration struct{ time.Duration }

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Config holds the driver's options (sample.conf).
type Config struct {
	// Interval is how often the monitor is asked to send its displayed
	// values: whole seconds, 1 s to 10 s. The document's minimum is 5 s;
	// see DocumentedMinInterval.
	Interval Duration `toml:"interval"`
	// Pressures maps the monitor's invasive pressure labels (ART, CVP, PA,
	// P1, …) to a site: "arterial" (patient.sys, patient.dia, patient.map),
	// "cvp" (patient.cvp, from the mean), "pap" (patient.pap_sys, _dia,
	// _mean) or "" (not emitted). Entries merge with DefaultPressures.
	Pressures map[string]string `toml:"pressures"`
	// Temperatures maps the monitor's temperature labels (ESO, NASO, BLAD,
	// T1, …) to a °C channel, or "" (not emitted). Entries merge with
	// DefaultTemperatures.
	Temperatures map[string]string `toml:"temperatures"`
	// BloodTemperature is the channel of the cardiac output module's blood
	// temperature (a pulmonary artery catheter's thermistor); "" drops it.
	BloodTemperature string `toml:"blood_temperature"`
}

// DefaultInterval is the request interval without configuration. It is
// below the document's minimum: see the README ("Interval").
const DefaultInterval = time.Second

// DocumentedMinInterval is the shortest interval M1017617 allows for
// displayed values ("a positive value greater or equal to 5"), and the
// shortest gap it allows between two requests.
const DocumentedMinInterval = 5 * time.Second

// MaxInterval bounds the interval option: the Supervisor's watchdog
// declares a device silent after at most 30 s, three intervals of 10 s.
const MaxInterval = 10 * time.Second

// DefaultPressures maps the labels of the systemic arterial, central venous
// and pulmonary artery lines.
func DefaultPressures() map[string]string {
	return map[string]string{"ART": "arterial", "ABP": "arterial", "CVP": "cvp", "PA": "pap"}
}

// DefaultTemperatures maps the labels that name a site with a channel.
func DefaultTemperatures() map[string]string {
	return map[string]string{
		"ESO": "temp.oesophageal", "NASO": "temp.nasopharyngeal", "TYMP": "temp.tympanic",
		"RECT": "temp.rectal", "BLAD": "temp.bladder",
	}
}

// site is where an invasive pressure goes.
type site uint8

const (
	siteNone site = iota
	siteArterial
	siteCVP
	sitePAP
	numSites
)

var siteNames = [numSites]string{"", "arterial", "cvp", "pap"}

// siteChannels are a site's channels for sys, dia and mean; Invalid where
// the site has none (a CVP is its mean).
var siteChannels = [numSites][3]channel.ID{
	siteArterial: {channel.PatientSys, channel.PatientDia, channel.PatientMAP},
	siteCVP:      {channel.Invalid, channel.Invalid, channel.PatientCVP},
	sitePAP:      {channel.PatientPAPSys, channel.PatientPAPDia, channel.PatientPAPMean},
}

// allowedLabels says which labels may go to a site. A label that names a
// site goes only to that site, so that a pulmonary artery or venous
// pressure can never land on the systemic arterial channels; the generic
// labels P1 to P8 may go anywhere.
var allowedLabels = [numSites][]string{
	siteArterial: {"ART", "ABP", "FEM", "UAC"},
	siteCVP:      {"CVP", "RAP"},
	sitePAP:      {"PA"},
}

func isGenericPressure(label string) bool {
	return len(label) == 2 && label[0] == 'P' && label[1] >= '1' && label[1] <= '8'
}

func labelIndex(labels []string, name string) int {
	return slices.Index(labels, strings.ToUpper(strings.TrimSpace(name)))
}

// Init validates the options and builds the label tables.
func (d *Driver) Init() error {
	iv := d.cfg.Interval.Duration
	switch {
	case iv < time.Second || iv > MaxInterval:
		return fmt.Errorf("s5: interval %v is outside 1s to %v", iv, MaxInterval)
	case iv%time.Second != 0:
		return fmt.Errorf("s5: interval %v is not whole seconds (the monitor counts seconds)", iv)
	}
	for i := range d.press {
		d.press[i] = siteNone
	}
	for i := range d.temp {
		d.temp[i] = channel.Invalid
	}
	for _, name := range sortedKeys(d.cfg.Pressures) {
		target := d.cfg.Pressures[name]
		i := labelIndex(pressureLabels[:], name)
		if i <= 0 {
			return fmt.Errorf("s5: pressures.%q: not an invasive pressure label of the document (%s)", name, strings.Join(pressureLabels[1:], ", "))
		}
		si := slices.Index(siteNames[:], target)
		if si < 0 {
			return fmt.Errorf("s5: pressures.%s = %q: want \"arterial\", \"cvp\", \"pap\" or \"\"", name, target)
		}
		s, label := site(si), pressureLabels[i]
		if s != siteNone && !isGenericPressure(label) && !slices.Contains(allowedLabels[s], label) {
			return fmt.Errorf("s5: pressures.%s = %q: a pressure labelled %s cannot go to the %s site (labels allowed there: %s, P1 to P8)",
				name, target, label, target, strings.Join(allowedLabels[s], ", "))
		}
		d.press[i] = s
	}
	used := map[channel.ID]string{}
	for _, name := range sortedKeys(d.cfg.Temperatures) {
		target := d.cfg.Temperatures[name]
		i := labelIndex(temperatureLabels[:], name)
		if i <= 0 {
			return fmt.Errorf("s5: temperatures.%q: not a temperature label of the document (%s)", name, strings.Join(temperatureLabels[1:], ", "))
		}
		if target == "" {
			continue
		}
		id, err := celsiusChannel(target)
		if err != nil {
			return fmt.Errorf("s5: temperatures.%s: %w", name, err)
		}
		if prev, dup := used[id]; dup {
			return fmt.Errorf("s5: temperatures.%s and temperatures.%s both map to %s", prev, name, target)
		}
		used[id] = name
		d.temp[i] = id
	}
	d.blood = channel.Invalid
	if d.cfg.BloodTemperature != "" {
		id, err := celsiusChannel(d.cfg.BloodTemperature)
		if err != nil {
			return fmt.Errorf("s5: blood_temperature: %w", err)
		}
		if prev, dup := used[id]; dup {
			return fmt.Errorf("s5: blood_temperature and temperatures.%s both map to %s", prev, d.cfg.BloodTemperature)
		}
		d.blood = id
	}
	d.notes = labelNotes()
	d.lay = d.layout()
	return nil
}

func celsiusChannel(name string) (channel.ID, error) {
	id, ok := channel.Lookup(name)
	if !ok || channel.Get(id).Unit != channel.Celsius || channel.Get(id).Derived() {
		return channel.Invalid, fmt.Errorf("%q is not a measured °C channel of the vocabulary", name)
	}
	return id, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// noteTexts are the texts of every note about a label, written once so
// that noting costs no allocation.
type noteTexts struct {
	pressUnmapped [len(pressureSlots)][len(pressureLabels)]string
	pressUnknown  [len(pressureSlots)]string
	pressTaken    [len(pressureSlots)]string
	tempUnmapped  [len(temperatureSlots)][len(temperatureLabels)]string
	tempUnknown   [len(temperatureSlots)]string
	tempTaken     [len(temperatureSlots)]string
}

var labelNotes = sync.OnceValue(func() *noteTexts {
	n := &noteTexts{}
	for s := range n.pressUnmapped {
		for l, name := range pressureLabels {
			n.pressUnmapped[s][l] = fmt.Sprintf("P%d labelled %s: no channel for this label (map it in [pressures])", s+1, name)
		}
		n.pressUnknown[s] = fmt.Sprintf("P%d: a label code outside the document's table (not emitted)", s+1)
		n.pressTaken[s] = fmt.Sprintf("P%d: its site is already given by a lower-numbered channel (not emitted)", s+1)
	}
	for s := range n.tempUnmapped {
		for l, name := range temperatureLabels {
			n.tempUnmapped[s][l] = fmt.Sprintf("T%d labelled %s: no channel for this label (map it in [temperatures])", s+1, name)
		}
		n.tempUnknown[s] = fmt.Sprintf("T%d: a label code outside the document's table (not emitted)", s+1)
		n.tempTaken[s] = fmt.Sprintf("T%d: its channel is already given by a lower-numbered probe (not emitted)", s+1)
	}
	return n
})
