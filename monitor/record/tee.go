package record

import "github.com/pumpside/pumpside/monitor"

// Tee is a device sink (devices.Sink) that records every raw sample and
// hands it to the pipeline: the recorder sees each sample a driver
// produces, before the pipeline's ring, so the case file holds samples the
// display dropped too. Both halves never block. Use one Tee per producer,
// on that producer's goroutine.
type Tee struct {
	P *monitor.Producer
	W *Writer
}

// Put records s and puts it to the pipeline; it reports the pipeline's
// answer (false: dropped by a full ring, counted there).
func (t Tee) Put(s monitor.Sample) bool {
	s.Source = t.P.ID()
	t.W.Sample(s)
	return t.P.Put(s)
}

// OnPublish returns a hook for monitor.Config.OnPublish that records the
// derived values of each snapshot (Snapshot) and then calls next, if any.
// It never blocks.
func (w *Writer) OnPublish(next func(*monitor.Snapshot)) func(*monitor.Snapshot) {
	return func(s *monitor.Snapshot) {
		w.Snapshot(s)
		if next != nil {
			next(s)
		}
	}
}
