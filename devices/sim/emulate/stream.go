package emulate

import (
	"bytes"
	"fmt"
	"time"

	"github.com/pumpside/pumpside/devices/sim"
	"github.com/pumpside/pumpside/monitor"
)

// Stream returns the bytes the emulated device of driver sends while the
// simulated case c runs from its current time to until, as one stream: the
// frames as on the wire, without waiting for a receiver's answers (for a
// protocol that converses, as a line capture shows it). Tests and chaos
// experiments run line noise through it. A device that sends only when
// asked (devices.Responder) has no such stream: ErrNoEncoder.
func Stream(driver string, c *sim.Case, until time.Time) ([]byte, error) {
	var buf bytes.Buffer
	d, err := New(driver, &buf)
	if err != nil {
		return nil, err
	}
	if d.resp != nil {
		return nil, fmt.Errorf("emulate: %s answers requests: %w", driver, ErrNoEncoder)
	}
	d.conv = nil // the message bytes, unanswered
	emit := func(_ sim.Source, s monitor.Sample) { d.Put(s) }
	for at := c.Now(); at.Before(until); {
		if at = at.Add(time.Minute); at.After(until) {
			at = until
		}
		c.AdvanceTo(at, emit)
		if err := d.Flush(); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}
