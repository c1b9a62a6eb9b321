package devices

import (
	"io"
	"time"

	"github.com/pumpside/pumpside/monitor"
)

// maxHeld bounds the samples a stamper holds for one read.
const maxHeld = 1024

// sporadicStep is the step between the frames of one read for a sporadic
// device (an analyser), whose nominal interval says nothing about how far
// apart two messages were sent.
const sporadicStep = time.Millisecond

// stamper gives the samples of one supervised device distinct receive
// times. A read may hold several frames (a device that paused and sent its
// backlog, a console that was held up, a terminal server that batches); a
// driver stamps every sample of them with the read's one receive time,
// and InfluxDB, which keeps one point per series and time, would keep only
// the last. So the stamper holds the samples put during one read and, when
// the driver asks for the next read (or returns), gives the frames of that
// read times stepping back from the read's time by the device's nominal
// interval: the last frame keeps the read's time, the one before it one
// interval less, and so on. The times stay after the latest time given
// before and after the stream was opened (no byte of a stream is received
// before it is open); where the intervals do not fit between that bound
// and the read's time, the frames are spread evenly in between, and, with
// no room at all, 1 ns apart. Every time it gives is later than the one
// before: per source and channel, no two samples share a time.
//
// A frame is what the driver reports with FrameOK; a channel repeated
// within one frame starts a new one. Samples whose time is not the read's
// time (a device's own clock, e.g. external's time = "line") are passed on
// unchanged, in order.
//
// The stamper is used by the decoding goroutine only: Read, Put, FrameOK
// and Now are called there.
type stamper struct {
	sink  Sink
	clock Clock
	step  int64 // ns between the frames of one read
	// last is the latest time given; floor is when the stream opened.
	last, floor int64
	// readAt is the receive time of the latest read: the provisional time
	// drivers stamp samples with (Now).
	readAt int64
	held   []monitor.Sample
	frame  []int32 // per held sample: its frame in the read, -1 if device-timed
	frames int     // frames of the read with receive-stamped samples
	start  int     // index in held of the current frame's first sample
	next   bool    // FrameOK seen: the next sample starts a frame
}

func newStamper(sink Sink, interval time.Duration, sporadic bool) *stamper {
	step := int64(interval)
	if sporadic || step <= 0 {
		step = int64(sporadicStep)
	}
	return &stamper{sink: sink, step: step, held: make([]monitor.Sample, 0, maxHeld), frame: make([]int32, 0, maxHeld)}
}

// open starts a stream read with clock, opened at the wall time opened.
// A stream that knows its own receive times (a capture played back) starts
// over: its times are the recording's, not now.
func (s *stamper) open(r io.Reader, opened int64) {
	s.clock = ClockFor(r, nil)
	s.held, s.frame, s.frames, s.next = s.held[:0], s.frame[:0], 0, false
	if _, ok := r.(ReceiveTimer); ok {
		s.last, s.floor, s.readAt = 0, 0, 0
		return
	}
	s.floor, s.readAt = opened, opened
}

// Now is the Clock drivers are given: the receive time of the latest read.
func (s *stamper) Now() int64 { return s.readAt }

// read notes a read that just returned.
func (s *stamper) read() { s.readAt = s.clock.Now() }

// frameOK notes a good frame: the samples put next belong to a new frame.
func (s *stamper) frameOK() { s.next = true }

// Put holds x until the read's frames are counted. It returns true: what
// the sink does with x is known only when it is passed on.
func (s *stamper) Put(x monitor.Sample) bool {
	if len(s.held) == maxHeld {
		s.flush()
	}
	f := int32(-1)
	if x.Time == s.readAt {
		if s.frames == 0 || s.next || s.repeats(x) {
			s.frames++
			s.start = len(s.held)
		}
		s.next = false
		f = int32(s.frames - 1)
	}
	s.held = append(s.held, x)
	s.frame = append(s.frame, f)
	return true
}

// repeats reports whether x's channel is already in the current frame.
func (s *stamper) repeats(x monitor.Sample) bool {
	for i := s.start; i < len(s.held); i++ {
		if s.frame[i] >= 0 && s.held[i].Channel == x.Channel {
			return true
		}
	}
	return false
}

// flush stamps the held samples and passes them to the sink.
func (s *stamper) flush() {
	if len(s.held) == 0 {
		return
	}
	n := int64(s.frames)
	t, lo := s.readAt, max(s.last, s.floor)
	step := s.step
	if n > 1 && t-(n-1)*step <= lo {
		step = (t - lo) / n // spread evenly in (lo, t]
	}
	at := func(k int64) int64 {
		if step <= 0 && n > 1 || t <= lo {
			return lo + 1 + k // no room: 1 ns apart
		}
		return t - (n-1-k)*step
	}
	for i := range s.held {
		if f := s.frame[i]; f >= 0 {
			s.held[i].Time = at(int64(f))
		}
		s.sink.Put(s.held[i])
	}
	if n > 0 {
		s.last = at(n - 1)
	}
	s.held, s.frame, s.frames, s.next = s.held[:0], s.frame[:0], 0, false
}
