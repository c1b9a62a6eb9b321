package replay

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/pumpside/pumpside/monitor/record"
)

// ErrEmpty: the file holds no sample to replay.
var ErrEmpty = errors.New("replay: no samples in the case file")

// Sample is a recorded sample with its channel and source as indices into
// Case.Channels and Case.Sources.
type Sample struct {
	Time    int64
	Value   float64
	Channel int32
	Source  int32
	Quality channel.Quality
}

// Event is a recorded event: its time and kind.
type Event struct {
	Time int64
	Kind string
}

// Case is a case file loaded for replay.
type Case struct {
	ID       string
	Samples  []Sample // by time; ties in file order
	Channels []string // "group.field"
	Sources  []string
	Events   []Event // by time
	// Start and End are the times of the first and last sample.
	Start, End int64
	// BadLines counts the lines skipped.
	BadLines int
}

// Load reads a case file. Bad lines go to onBad (if not nil) and are
// skipped. It fails on an I/O error and with ErrEmpty when there is no
// sample to replay.
func Load(r io.Reader, onBad func(*record.LineError)) (*Case, error) {
	c := &Case{}
	chIdx := map[string]int32{}
	srcIdx := map[string]int32{}
	rd := record.NewReader(r)
	rd.OnBadLine = onBad
	var buf []record.ChannelSample
	for rd.Next() {
		e := rd.Entry()
		if c.ID == "" {
			c.ID = e.Tag(record.TagCase)
		}
		switch e.Kind() {
		case record.KindEvent:
			c.Events = append(c.Events, Event{Time: e.Time, Kind: e.Tag(record.TagKind)})
			continue
		case record.KindSamples:
		default:
			continue
		}
		buf = e.Samples(buf[:0])
		for _, s := range buf {
			if strings.HasPrefix(s.Channel, "derived.") {
				continue // recomputed
			}
			ci, ok := chIdx[s.Channel]
			if !ok {
				ci = int32(len(c.Channels))
				chIdx[s.Channel] = ci
				c.Channels = append(c.Channels, s.Channel)
			}
			src := s.Source
			if src == "" {
				src = "file"
			}
			si, ok := srcIdx[src]
			if !ok {
				si = int32(len(c.Sources))
				srcIdx[src] = si
				c.Sources = append(c.Sources, src)
			}
			c.Samples = append(c.Samples, Sample{Time: s.Time, Value: s.Value, Channel: ci, Source: si, Quality: s.Quality})
		}
	}
	c.BadLines = rd.BadLines
	if err := rd.Err(); err != nil {
		return nil, err
	}
	if len(c.Samples) == 0 {
		return nil, ErrEmpty
	}
	slices.SortStableFunc(c.Samples, func(a, b Sample) int { return cmp64(a.Time, b.Time) })
	slices.SortStableFunc(c.Events, func(a, b Event) int { return cmp64(a.Time, b.Time) })
	c.Start, c.End = c.Samples[0].Time, c.Samples[len(c.Samples)-1].Time
	return c, nil
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Player puts a case's samples into a pipeline.
type Player struct {
	c     *Case
	prods []*monitor.Producer // by Case source index
	chans []channel.ID        // by Case channel index; 0: not in the pipeline's table
	next  int
	// Unknown counts samples of channels the pipeline does not know
	// (skipped); Dropped those a full ring refused.
	Unknown, Dropped uint64
}

// RingSize is the ring of each replay source: a second of case time of any
// realistic source fits, since the caller steps at least once a second.
const RingSize = 1 << 16

// NewPlayer registers one source per source of the case, named
// "replay:<name>", in p (before p starts).
func NewPlayer(c *Case, p *monitor.Pipeline) (*Player, error) {
	pl := &Player{c: c, chans: make([]channel.ID, len(c.Channels))}
	for _, name := range c.Sources {
		pr, err := p.AddSource("replay:"+name, RingSize)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		pl.prods = append(pl.prods, pr)
	}
	for i, name := range c.Channels {
		if id, ok := p.ChannelID(name); ok {
			pl.chans[i] = id
		}
	}
	return pl, nil
}

// PutUntil puts every sample not yet put with a time at or before t (Unix
// ns). It never blocks.
func (pl *Player) PutUntil(t int64) {
	s := pl.c.Samples
	for ; pl.next < len(s) && s[pl.next].Time <= t; pl.next++ {
		x := &s[pl.next]
		id := pl.chans[x.Channel]
		if id == 0 {
			pl.Unknown++
			continue
		}
		if !pl.prods[x.Source].Put(monitor.Sample{Time: x.Time, Value: x.Value, Channel: id, Quality: x.Quality}) {
			pl.Dropped++
		}
	}
}

// Done reports whether every sample was put.
func (pl *Player) Done() bool { return pl.next >= len(pl.c.Samples) }
