package monitor

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/physio"
)

// Settings are the pipeline's configuration, fixed for the life of a
// Pipeline. Start from DefaultSettings and change what the site needs; New
// rejects a setting out of its range rather than guessing (the zero Settings
// is not valid).
type Settings struct {
	// PublishInterval is the shortest time between two publishes, and how
	// often the running pipeline drains its rings. Default 100 ms.
	PublishInterval time.Duration
	// MaxPublishGap is the longest case time between two publishes: with no
	// new data the pipeline still publishes this often, so that ages and
	// staleness move on screen. Default 1 s.
	MaxPublishGap time.Duration

	// HistoryDuration is how much 1 Hz history every channel keeps. Default
	// 12 h. Memory: 8 bytes per second per channel that has had data (12 h:
	// 338 KiB per channel), allocated when the channel's first valid value
	// arrives and never grown.
	HistoryDuration time.Duration

	// RingSize is the ring size AddSource uses when it is given 0. A power of
	// two. Default 4096: 40,000 samples/s per source at the default publish
	// interval before anything is dropped.
	RingSize int

	// MaxFutureSkew is how far ahead of the case clock a sample's time may
	// be. A later sample is rejected (counted in SourceStatus.Rejected): a
	// device with its clock set a day ahead must not pin its channel's value
	// on screen. Default 2 s.
	MaxFutureSkew time.Duration

	// RewarmWindow is the window of the rewarming rate's least-squares fit.
	// Default 5 min.
	RewarmWindow time.Duration

	// HbFromHct lets Hb be estimated as Hct / 3 when no fresh measured Hb is
	// available at all (see docs/pipeline.md). Every derived value computed
	// that way carries FlagHbFromHct. Default true.
	HbFromHct bool

	// Constants are the formula constants (package physio). Their
	// DO2iThreshold is also the limit of the case statistics' time and area
	// below DO2i. Default physio.DefaultConstants().
	Constants physio.Constants

	// Limits are the thresholds of the case statistics.
	Limits Limits

	// StatsMaxStep caps the time one publish may add to a case statistic: a
	// headless caller that steps once after an hour of data must not credit
	// the whole hour to whatever the last values say. Default 2 s.
	StatsMaxStep time.Duration

	// SourcePriority says which source wins a channel that several sources
	// give (docs/pipeline.md). Default DefaultSourcePriority(); nil or empty
	// ranks no source over another (the newest sample wins).
	SourcePriority []SourcePriority

	// RoomTempC and BarometricMmHg are the theatre's air: the sweep gas
	// flow is read at them, and VCO2 is corrected from them to STPD
	// (physio.VCO2FactorSTPD), which then replaces Constants.VCO2Factor
	// (so the case records the factor used). ExhaustBTPS says the exhaust
	// capnometer reports a water-vapour-corrected reading. RoomTempC NaN
	// turns the correction off: Constants.VCO2Factor is used as given.
	// Defaults 21 °C, 760 mmHg, dry.
	RoomTempC, BarometricMmHg float64
	ExhaustBTPS               bool

	// ExtraChannels are site-defined channels beyond the built-in
	// vocabulary. They get IDs channel.Count, channel.Count+1, … in order
	// (their ID field is ignored); names must be unique "group.field" names
	// outside the "derived." group. The tables of the pipeline and the length
	// of Snapshot.Readings grow accordingly.
	ExtraChannels []channel.Channel
}

// Limits are the thresholds of the case statistics (perfusion.md §3); each
// one is a hospital setting.
type Limits struct {
	// OnBypassFlow is the pump flow (L/min) from which the case counts as on
	// bypass. Statistics accumulate only while a fresh pump flow is at least
	// this: before bypass the pump is stopped, and a DO2i of 0 then would
	// fill "time below threshold" with nonsense. Default 0.5 L/min.
	OnBypassFlow float64
	// MAPLow: time with MAP below it is counted. Default 50 mmHg.
	MAPLow float64
	// SvO2Low: time with SvO2 below it is counted. Default 60 %.
	SvO2Low float64
	// OutletHigh: time with the arterial outlet temperature at or above it is
	// counted. Default 37 °C.
	OutletHigh float64
	// AVGradientHigh: time with |arterial outlet − venous inlet| above it is
	// counted, cooling or rewarming. Default 10 °C.
	AVGradientHigh float64
}

// DefaultSettings returns the defaults described on each field.
func DefaultSettings() Settings {
	return Settings{
		PublishInterval: 100 * time.Millisecond,
		MaxPublishGap:   time.Second,
		HistoryDuration: 12 * time.Hour,
		RingSize:        4096,
		MaxFutureSkew:   2 * time.Second,
		RewarmWindow:    5 * time.Minute,
		HbFromHct:       true,
		Constants:       physio.DefaultConstants(),
		Limits: Limits{
			OnBypassFlow:   0.5,
			MAPLow:         50,
			SvO2Low:        60,
			OutletHigh:     37,
			AVGradientHigh: 10,
		},
		StatsMaxStep:   2 * time.Second,
		SourcePriority: DefaultSourcePriority(),
		RoomTempC:      21,
		BarometricMmHg: 760,
	}
}

// VCO2Factor returns the k_co2 the pipeline uses: physio.VCO2FactorSTPD
// of the room's air, or Constants.VCO2Factor when RoomTempC is NaN.
func (s *Settings) VCO2Factor() float64 {
	if math.IsNaN(s.RoomTempC) {
		return s.Constants.VCO2Factor
	}
	return physio.VCO2FactorSTPD(s.BarometricMmHg, s.RoomTempC, s.ExhaustBTPS)
}

// MaxChannels bounds the channel table (built-in plus extra channels).
const MaxChannels = 4096

// ErrSettings is wrapped by every error of Settings.Validate.
var ErrSettings = errors.New("monitor: invalid settings")

// Validate checks every setting and returns all problems joined, each
// wrapping ErrSettings.
func (s *Settings) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrSettings}, args...)...))
	}
	if s.PublishInterval < time.Millisecond || s.PublishInterval > 10*time.Second {
		bad("PublishInterval %v is outside 1ms–10s", s.PublishInterval)
	}
	if s.MaxPublishGap < s.PublishInterval || s.MaxPublishGap > time.Minute {
		bad("MaxPublishGap %v is outside PublishInterval–1m", s.MaxPublishGap)
	}
	if s.HistoryDuration < time.Minute || s.HistoryDuration > 7*24*time.Hour {
		bad("HistoryDuration %v is outside 1m–168h", s.HistoryDuration)
	}
	if s.RingSize < 2 || s.RingSize&(s.RingSize-1) != 0 {
		bad("RingSize %d is not a power of two ≥ 2", s.RingSize)
	}
	if s.MaxFutureSkew < 0 || s.MaxFutureSkew > time.Hour {
		bad("MaxFutureSkew %v is outside 0–1h", s.MaxFutureSkew)
	}
	if s.RewarmWindow < 10*time.Second || s.RewarmWindow > s.HistoryDuration {
		bad("RewarmWindow %v is outside 10s–HistoryDuration", s.RewarmWindow)
	}
	if s.StatsMaxStep < s.MaxPublishGap || s.StatsMaxStep > time.Minute {
		bad("StatsMaxStep %v is outside MaxPublishGap–1m", s.StatsMaxStep)
	}
	if !math.IsNaN(s.RoomTempC) {
		if !(s.RoomTempC >= 10 && s.RoomTempC <= 40) {
			bad("RoomTempC %g is outside 10–40 °C", s.RoomTempC)
		}
		if !(s.BarometricMmHg >= 450 && s.BarometricMmHg <= 800) {
			bad("BarometricMmHg %g is outside 450–800 mmHg", s.BarometricMmHg)
		}
	}
	if err := s.Constants.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: constants: %w", ErrSettings, err))
	}
	l := s.Limits
	for _, f := range []struct {
		name   string
		v      float64
		lo, hi float64
	}{
		{"Limits.OnBypassFlow", l.OnBypassFlow, 0, 8},
		{"Limits.MAPLow", l.MAPLow, 10, 150},
		{"Limits.SvO2Low", l.SvO2Low, 10, 100},
		{"Limits.OutletHigh", l.OutletHigh, 20, 45},
		{"Limits.AVGradientHigh", l.AVGradientHigh, 1, 35},
	} {
		if !(f.v >= f.lo && f.v <= f.hi) {
			bad("%s %g is outside %g–%g", f.name, f.v, f.lo, f.hi)
		}
	}
	if channel.Count+len(s.ExtraChannels) > MaxChannels {
		bad("%d extra channels: at most %d channels in all", len(s.ExtraChannels), MaxChannels)
	}
	seen := make(map[string]bool, len(s.ExtraChannels))
	for i := range s.ExtraChannels {
		c := &s.ExtraChannels[i]
		g, f, ok := strings.Cut(c.Name, ".")
		switch {
		case !ok || g == "" || f == "" || strings.Contains(f, "."):
			bad("extra channel %q: want a group.field name", c.Name)
		case c.Derived():
			bad("extra channel %q: the derived group is the pipeline's", c.Name)
		case seen[c.Name]:
			bad("extra channel %q: duplicate", c.Name)
		default:
			if _, dup := channel.Lookup(c.Name); dup {
				bad("extra channel %q: a built-in channel has that name", c.Name)
			}
		}
		seen[c.Name] = true
		if math.IsNaN(c.Min) || math.IsNaN(c.Max) || c.Min > c.Max {
			bad("extra channel %q: bad plausible range %g…%g", c.Name, c.Min, c.Max)
		}
		if c.Freshness < 0 {
			bad("extra channel %q: negative freshness", c.Name)
		}
	}
	groups := map[string]bool{}
	for _, c := range channel.All() {
		groups[c.Group()] = true
	}
	for i := range s.ExtraChannels {
		groups[s.ExtraChannels[i].Group()] = true
	}
	lookup := func(name string) bool {
		if _, ok := channel.Lookup(name); ok {
			return true
		}
		return seen[name]
	}
	if err := validatePriority(s.SourcePriority, lookup, groups); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
