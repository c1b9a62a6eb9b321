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

// dialogue is the driver's side of the request schedule on a live
// connection. Nothing sleeps: Decode calls tick before each read and sets
// the read deadline it returns.
//
// The document (M1017617, "Transmission request") says the monitor keeps
// sending displayed values at the requested interval until the request is
// cancelled: no keep-alive is needed. A monitor that rebooted has
// forgotten the request, though, so:
//
//   - a request goes out when the connection opens, never less than 5 s
//     after the previous one (the document: "if the monitors receive two
//     requests within 5 seconds, the latter request is ignored");
//   - without an answer, it is repeated every 5 s; an interval below the
//     document's 5-s minimum alternates with 5 s, in case the monitor
//     keeps to the document;
//   - once values flow, silence for 1.5 intervals + 0.5 s brings the
//     request again;
//   - silence for 2.5 intervals (12.5 s at 5 s; before the first answer,
//     2.5 times the larger of the interval and 5 s) ends Decode with
//     ErrNoData, so that the Supervisor raises device_lost and reconnects.
//
// The interval the silence is measured against is the larger of the one
// asked for and the gap between the two latest records, so that a monitor
// that sends less often than asked (at the document's minimum, say) is not
// taken for a silent one.
type dialogue struct {
	lastReq time.Time // the latest request, across connections

	want  time.Duration // the configured interval
	asked time.Duration // the interval of this connection's latest request; 0 before it
	start time.Time     // when this connection opened
	last  time.Time     // the latest displayed values; zero before the first
	gap   time.Duration // between the two latest; 0 before the second
	due   bool          // a request waits for the 5-s spacing
	again bool          // asked again since the latest values
	buf   []byte
}

// tickCap bounds the time between two ticks.
const tickCap = time.Second

func (g *dialogue) connect(now time.Time, want time.Duration) {
	g.want, g.asked, g.start, g.last, g.gap, g.due, g.again = want, 0, now, time.Time{}, 0, true, false
}

// heard records displayed values received at now.
func (g *dialogue) heard(now time.Time) {
	if !g.last.IsZero() {
		g.gap = now.Sub(g.last)
	}
	g.last, g.again = now, false
}

// expected is the interval the monitor keeps to, as far as known.
func (g *dialogue) expected() time.Duration {
	if g.gap == 0 {
		return max(g.asked, DocumentedMinInterval)
	}
	return max(g.asked, g.gap)
}

// tick sends the request when it is due, and returns the time of the next
// tick, or ErrNoData when the monitor has been silent too long.
func (g *dialogue) tick(now time.Time, w io.Writer, ev devices.Events) (time.Time, error) {
	var lost, ask time.Time
	if g.last.IsZero() {
		lost = g.start.Add(5 * max(g.want, DocumentedMinInterval) / 2)
		if !g.due && now.Sub(g.lastReq) >= DocumentedMinInterval {
			g.due = true // unanswered for 5 s
		}
	} else {
		e := g.expected()
		lost = g.last.Add(5 * e / 2)
		if again := g.last.Add(3*e/2 + 500*time.Millisecond); !g.again {
			if now.Before(again) {
				ask = again
			} else {
				g.due, g.again = true, true
			}
		}
	}
	if !now.Before(lost) {
		since := g.last
		if since.IsZero() {
			since = g.start
		}
		return time.Time{}, fmt.Errorf("%w for %v (asked for every %v)", ErrNoData, now.Sub(since).Round(100*time.Millisecond), g.asked)
	}
	if g.due {
		if g.lastReq.IsZero() || now.Sub(g.lastReq) >= DocumentedMinInterval {
			if err := g.request(now, w, ev); err != nil {
				return time.Time{}, err
			}
		} else {
			ask = g.lastReq.Add(DocumentedMinInterval)
		}
	}
	if g.last.IsZero() {
		ask = g.lastReq.Add(DocumentedMinInterval)
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
	if g.asked != 0 {
		iv = g.asked // what the monitor answered, or was last asked
		if g.last.IsZero() && g.want < DocumentedMinInterval {
			// Unanswered: alternate the interval asked for with the
			// document's minimum.
			if g.asked == g.want {
				iv = DocumentedMinInterval
				devices.Note(ev, noteFallback)
			} else {
				iv = g.want
			}
		}
	}
	g.buf = AppendRequest(g.buf[:0], phDispl, int16(iv/time.Second), RequestClasses)
	if _, err := w.Write(g.buf); err != nil {
		return err
	}
	g.asked, g.lastReq, g.due = iv, now, false
	return nil
}

const noteFallback = "no answer to a request below the document's 5-s minimum: asked for 5 s"
