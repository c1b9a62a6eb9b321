package central

import (
	"math"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
)

// Page is the department view at one moment: what the browser shows. Times
// are Unix milliseconds (JavaScript's); a value's age is judged again by the
// browser against Now, so that a page that stops hearing from the server
// blanks its values as they go stale instead of freezing them.
type Page struct {
	// Now is the server's time when the page was built.
	Now int64 `json:"now"`
	// Newest is the time of the newest data of any theatre; 0 when none.
	Newest int64 `json:"newest"`
	// Theatres are the tiles, by theatre name.
	Theatres []Tile `json:"theatres"`
	// QueryMS is how long the database took to answer this refresh.
	QueryMS float64 `json:"query_ms"`
	// Error is set when the database did not answer: Theatres are then
	// the last good ones, and go stale.
	Error string `json:"error,omitempty"`
}

// Tile is one theatre.
type Tile struct {
	// Key names the tile in URLs: the theatre, or "case:<id>" for a console
	// without a theatre name.
	Key     string `json:"key"`
	Theatre string `json:"theatre"`
	// Case is the pseudonymous case id (never a patient identifier).
	Case string `json:"case"`
	// LastData is the time of the theatre's newest line of any kind.
	LastData int64 `json:"last_data"`
	// NoData: nothing newer than NoDataAfter has come from the theatre.
	// NoDataAfter is that limit, in ms, for the browser to apply again.
	NoData      bool  `json:"no_data"`
	NoDataAfter int64 `json:"no_data_after"`
	// ClockAhead: the console's clock is ahead of this server's by more
	// than the allowance: its values are withheld (they could not go stale).
	ClockAhead bool `json:"clock_ahead,omitempty"`
	// LiveTime is the time of the newest live-state line; 0 when the
	// console published none (an older console).
	LiveTime  int64  `json:"live_time"`
	Phase     string `json:"phase"`
	PhaseText string `json:"phase_text"`
	Clamp     bool   `json:"clamp"`
	// CaseStart is when the case started (from the live line); 0 unknown.
	CaseStart int64 `json:"case_start"`
	// BypassS and ClampS are the bypass and clamp times at LiveTime, s.
	BypassS float64 `json:"bypass_s"`
	ClampS  float64 `json:"clamp_s"`
	// Values are the tile's values in display order.
	Values []Value `json:"values"`
	// DO2iThreshold is the console's DO2i target, mL/min/m²; 0 unknown.
	DO2iThreshold float64 `json:"do2i_threshold"`
	// Alarm is the highest alarm shown on the console; nil when none.
	// AlarmCount is how many it shows.
	Alarm      *Alarm `json:"alarm"`
	AlarmCount int    `json:"alarm_count"`
	// Alarms are all the alarms the live line lists, highest first (Alarm
	// is the first of them).
	Alarms []Alarm `json:"alarms"`
}

// Value is one channel's newest value on a tile.
type Value struct {
	Channel string `json:"channel"`
	Label   string `json:"label"`
	Unit    string `json:"unit"`
	// Text is the value at the channel's precision; "" when there is no
	// valid value (none, not ok, out of range, stale).
	Text string `json:"text"`
	// Why says why there is no value ("stale", "unavailable", ...).
	Why string `json:"why,omitempty"`
	// Num is the value as a number, for comparisons (below target); 0
	// when Text is "".
	Num float64 `json:"num"`
	// T is the sample's time; MaxAge how old it may be and still be shown
	// (the channel's freshness plus the transport allowance), ms.
	T      int64 `json:"t"`
	MaxAge int64 `json:"max_age"`
}

// Alarm is an alarm as the page shows it.
type Alarm struct {
	ID        string `json:"id"`
	Priority  string `json:"priority"`
	State     string `json:"state"`
	Latched   bool   `json:"latched"`
	Technical bool   `json:"technical"`
	Text      string `json:"text"`
	Since     int64  `json:"since"`
}

// TileChannels are the values of a tile, in display order.
var TileChannels = []channel.ID{
	channel.PumpFlow, channel.DerivedFlowIndex, channel.PatientMAP, channel.DerivedDO2i,
	channel.InlineVenSO2, channel.InlineHct, channel.TempArterialOutlet, channel.TempVenousInlet,
	channel.TempNasopharyngeal,
}

// derivedMaxAge is how old a derived value may be: the console records
// them every second while it runs.
const derivedMaxAge = 5 * time.Second

// maxAge is how long a channel's value stays showable at the department
// view: its freshness (or derivedMaxAge) plus the transport allowance.
func maxAge(c *channel.Channel, allowance time.Duration) time.Duration {
	f := c.Freshness
	if f == 0 {
		f = derivedMaxAge
	}
	return f + allowance
}

// point is a channel's newest sample as the database holds it: a value
// and, when not ok, its quality at the same time.
type point struct {
	source  string
	t       int64 // ns
	v       float64
	hasV    bool
	qt      int64 // time of the newest quality field, ns
	quality string
}

// latest picks the newest sample of a channel among its sources.
func latest(ps []point) (point, bool) {
	var best point
	found := false
	for _, p := range ps {
		tp := max(p.t, p.qt)
		if !found || tp > max(best.t, best.qt) {
			best, found = p, true
		}
	}
	return best, found
}

// value judges a channel's newest sample at now: a number only when the
// sample was ok, in range, fresh and not from the future.
func value(id channel.ID, ps []point, now time.Time, allowance time.Duration) (Value, bool) {
	c := channel.Get(id)
	age := maxAge(c, allowance)
	v := Value{Channel: c.Name, Label: c.Label, Unit: c.Unit, MaxAge: age.Milliseconds()}
	p, ok := latest(ps)
	if !ok {
		v.Why = "none"
		return v, false
	}
	t := max(p.t, p.qt)
	v.T = t / 1e6
	ahead := t > now.Add(allowance).UnixNano()
	switch {
	case ahead:
		v.Why = "clock ahead"
	case p.qt >= p.t || !p.hasV: // the newest sample carries a quality: not ok
		v.Why = p.quality
		if v.Why == "" {
			v.Why = "unavailable"
		}
	case c.Classify(p.v, channel.OK) != channel.OK:
		v.Why = "out_of_range"
	case now.UnixNano()-t > age.Nanoseconds():
		v.Why = "stale"
	default:
		v.Text = strconv.FormatFloat(p.v, 'f', c.Precision, 64)
		v.Num = p.v
	}
	return v, ahead
}

// tileAlarms turns the live line's alarms into the page's.
func tileAlarms(as []record.LiveAlarm) []Alarm {
	out := make([]Alarm, 0, len(as))
	for _, a := range as {
		out = append(out, Alarm{ID: a.ID, Priority: a.Priority, State: a.State, Latched: a.Latched, Technical: a.Technical, Text: a.Text, Since: a.Since / 1e6})
	}
	return out
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
