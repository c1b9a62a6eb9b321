package s5

import (
	"fmt"
	"io"
	"time"

	"github.com/pumpside/pumpside/devices"
)

// RequestClasses are the classes the driver asks for: basic (by not
// denying it), ext1 (P7, P8, T5, T6) and ext2 (BIS). Ext3 carries nothing
// the driver emits, and leaving it out spares a quarter of the line.
const RequestClasses = reqExt1 | reqExt2

// RetryInterval is how often an unanswered request is repeated once the
// monitor has answered one (in this run).
const RetryInterval = 2 * time.Second

// dialogue is the driver's side of the request schedule on a live
// connection. Nothing sleeps: Decode calls tick before each read and sets
// the read deadline it returns.
//
// The document (M1017617, "Transmission request") says the monitor keeps
// sending displayed values at the requested interval until the request is
// cancelled: no keep-alive is needed. A monitor that rebooted has
// forgotten the request, though. And "if the monitors receive two requests
// within 5 seconds, the latter request is ignored" (said of single
// transmissions; taken here for every request until the monitor has
// answered one). So:
//
//   - a request goes out when the connection opens;
//   - until the monitor has answered a request, requests are 5 s apart,
//     and an interval below the document's 5-s minimum alternates with
//     5 s, in case the monitor keeps to the document;
//   - once it has answered (in this run, on any connection), the interval
//     it answered is asked for again every 2 s (RetryInterval) while
//     unanswered: the first request a monitor back from a reboot hears is
//     not within 5 s of another it heard;
//   - once values flow, 1.5 intervals + 0.5 s without them bring the
//     request again;
//   - a line quiet for 2 intervals + 0.25 s (2.25 s at 1 s, 10.25 s at 5 s:
//     two records missed; a damaged record is not quiet) ends Decode with
//     ErrNoData, so that the Supervisor raises device_lost and reconnects;
//     before the first answer on a connection, 2.5 times the larger of the
//     interval and 5 s without values do.
//
// The interval the silence is measured against is the larger of the one
// asked for and the gap between the two latest records, so that a monitor
// that sends less often than asked (at the document's minimum, say) is not
// taken for a silent one.
type dialogue struct {
	// Across connections.
	lastReq time.Time     // the latest request
	works   time.Duration // the interval the monitor last answered; 0: none yet

	// This connection's.
	want  time.Duration // the configured interval
	asked time.Duration // the interval of the latest request; 0 before it
	start time.Time     // when the connection opened
	last  time.Time     // the latest displayed values; zero before the first
	line  time.Time     // the latest bytes from the monitor
	gap   time.Duration // between the two latest values; 0 before the second
	due   bool          // a request waits for its spacing
	again bool          // asked again since the latest values
	buf   []byte
}

// tickCap bounds the time between two ticks.
const tickCap = time.Second

func (g *dialogue) connect(now time.Time, want time.Duration) {
	g.want, g.asked, g.start, g.last, g.line, g.gap, g.due, g.again = want, 0, now, time.Time{}, now, 0, true, false
}

// heard records displayed values received at now.
func (g *dialogue) heard(now time.Time) {
	if !g.last.IsZero() {
		g.gap = now.Sub(g.last)
	}
	g.last, g.line, g.again = now, now, false
	g.works = g.asked
}

// received records bytes from the monitor at now.
func (g *dialogue) received(now time.Time) { g.line = now }

// expected is the interval the monitor keeps to, as far as known.
func (g *dialogue) expected() time.Duration {
	if g.gap == 0 {
		return max(g.asked, DocumentedMinInterval)
	}
	return max(g.asked, g.gap)
}

// spacing is the least time between two requests.
func (g *dialogue) spacing() time.Duration {
	if g.works == 0 {
		return DocumentedMinInterval
	}
	return RetryInterval
}

// tick sends the request when it is due, and returns the time of the next
// tick, or ErrNoData when the monitor has been silent too long.
func (g *dialogue) tick(now time.Time, w io.Writer, ev devices.Events) (time.Time, error) {
	var lost, ask time.Time
	if g.last.IsZero() {
		lost = g.start.Add(5 * max(g.want, DocumentedMinInterval) / 2)
		g.due = true // until answered
	} else {
		e := g.expected()
		lost = g.line.Add(2*e + 250*time.Millisecond)
		if again := g.last.Add(3*e/2 + 500*time.Millisecond); !g.again {
			if now.Before(again) {
				ask = again
			} else {
				g.due, g.again = true, true
			}
		}
	}
	if !now.Before(lost) {
		if g.last.IsZero() {
			return time.Time{}, fmt.Errorf("%w: no answer in %v (asked for every %v)", ErrNoData, now.Sub(g.start).Round(100*time.Millisecond), g.asked)
		}
		return time.Time{}, fmt.Errorf("%w: the line quiet for %v (asked for every %v)", ErrNoData, now.Sub(g.line).Round(100*time.Millisecond), g.asked)
	}
	if g.due {
		if next := g.lastReq.Add(g.spacing()); g.lastReq.IsZero() || !now.Before(next) {
			if err := g.request(now, w, ev); err != nil {
				return time.Time{}, err
			}
			if g.last.IsZero() {
				ask = now.Add(g.spacing())
			}
		} else {
			ask = next
		}
	}
	next := now.Add(tickCap)
	if lost.Before(next) {
		next = lost
	}
	if !ask.IsZero() && ask.Before(next) {
		next = ask
	}
	if soon := now.Add(10 * time.Millisecond); next.Before(soon) {
		next = soon
	}
	return next, nil
}

// request writes the request for displayed values.
func (g *dialogue) request(now time.Time, w io.Writer, ev devices.Events) error {
	iv := g.want
	switch {
	case g.works != 0:
		iv = g.works
	case g.asked == g.want && g.want < DocumentedMinInterval:
		// Unanswered: alternate with the document's minimum.
		iv = DocumentedMinInterval
		devices.Note(ev, noteFallback)
	}
	g.buf = AppendRequest(g.buf[:0], phDispl, int16(iv/time.Second), RequestClasses)
	if _, err := w.Write(g.buf); err != nil {
		return err
	}
	g.asked, g.lastReq, g.due = iv, now, false
	return nil
}

const noteFallback = "no answer to a request below the document's 5-s minimum: asked for 5 s"
