package astm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/analyte"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// FrameText is the most text the encoder puts in one frame, the standard's
// limit.
const FrameText = 240

// AppendFrame appends a whole transfer carrying samples (all of one time)
// to dst: ENQ, the frames of one message, EOT, as an analyser sends it when
// every frame is acknowledged. See Frames.
func (d *Driver) AppendFrame(dst []byte, samples []monitor.Sample) ([]byte, error) {
	frames, err := d.Frames(samples)
	if err != nil {
		return dst, err
	}
	dst = append(dst, ENQ)
	for _, f := range frames {
		dst = append(dst, f...)
	}
	return append(dst, EOT), nil
}

// Frames returns the E1381 frames of one E1394 message carrying samples:
// H, P (empty: no identifiers), one O for the samples whose code names
// their site, one O per site whose specimen descriptor is the first of the
// configured arterial, venous or central venous descriptions, one O with
// none for bg.* samples, an R per sample with the test code the table
// gives for its channel, and L. Times
// are the first sample's, in the configured zone. Values are in the
// channel's unit. A sample that is not OK is sent as the analyser would: out
// of range with flag ">" or "<", questionable with status W, anything else
// as no value with status X.
func (d *Driver) Frames(samples []monitor.Sample) ([][]byte, error) {
	if len(samples) == 0 {
		return nil, errors.New("astm: nothing to encode")
	}
	t := samples[0].Time
	// groups[0] holds the samples whose code states their site (or a
	// fixed channel); groups[1+site] those whose O record must state it.
	var groups [5][]monitor.Sample
	for _, s := range samples {
		_, state, ok := d.table.For(s.Channel)
		if !ok || !s.Channel.Valid() {
			return nil, fmt.Errorf("astm: no test code maps to channel %v", s.Channel)
		}
		g := 0
		if state {
			site, _ := analyte.PanelSite(s.Channel)
			g = 1 + int(site)
		}
		groups[g] = append(groups[g], s)
	}
	dl := DefaultDelimiters
	var recs [][]byte
	rec := func(b []byte) { recs = append(recs, b) }
	h := []byte("H|\\^&|||Pumpside^encoder|||||||P|LIS2-A2|")
	rec(AppendTime(h, t, d.loc))
	rec([]byte("P|1"))
	order := 0
	for g, samples := range groups {
		if len(samples) == 0 {
			continue
		}
		var desc string
		if g > 0 {
			var list []string
			switch site := analyte.Site(g - 1); site {
			case analyte.Arterial:
				list = d.sites.Arterial
			case analyte.Venous:
				list = d.sites.Venous
			case analyte.CentralVenous:
				list = d.sites.CentralVenous
			}
			if g-1 != int(analyte.Unknown) {
				if len(list) == 0 {
					return nil, fmt.Errorf("astm: no %v specimen description configured", analyte.Site(g-1))
				}
				desc = list[0]
			}
		}
		order++
		o := append([]byte("O|"), strconv.Itoa(order)...)
		o = append(o, "||||||"...)
		o = AppendTime(o, t, d.loc)
		o = append(o, "||||||||"...)
		o = dl.Escape(o, []byte(desc))
		rec(o)
		seq := 0
		for _, s := range samples {
			e, _, _ := d.table.For(s.Channel)
			seq++
			r := append([]byte("R|"), strconv.Itoa(seq)...)
			r = append(r, "|^^^"...)
			r = dl.Escape(r, []byte(e.Code))
			r = append(r, '|')
			unit := e.Unit()
			if unit == "" {
				unit = channel.Get(s.Channel).Unit
			}
			conv, ok := analyte.ConvertString(s.Channel, unit)
			if !ok {
				return nil, fmt.Errorf("astm: no conversion for %v", s.Channel)
			}
			flag, status := "", "F"
			switch s.Quality {
			case channel.OK, channel.OutOfRange, channel.Questionable:
				if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
					return nil, fmt.Errorf("astm: cannot encode %v = %v", s.Channel, s.Value)
				}
				r = strconv.AppendFloat(r, conv.Invert(s.Value), 'f', -1, 64)
				switch s.Quality {
				case channel.OutOfRange:
					flag = ">"
					if s.Value < channel.Get(s.Channel).Min {
						flag = "<"
					}
				case channel.Questionable:
					status = "W"
				}
			default:
				status = "X"
			}
			r = append(r, '|')
			r = dl.Escape(r, []byte(unit))
			r = append(r, "||"...)
			r = append(r, flag...)
			r = append(r, "||"...)
			r = append(r, status...)
			r = append(r, "||||"...)
			r = AppendTime(r, t, d.loc)
			rec(r)
		}
	}
	rec([]byte("L|1|N"))

	var frames [][]byte
	fn := byte('1')
	for _, r := range recs {
		text := append(r, CR)
		for len(text) > 0 {
			n := min(len(text), FrameText)
			frames = append(frames, AppendLowFrame(nil, fn, text[:n], n == len(text)))
			text = text[n:]
			fn = '0' + (fn-'0'+1)%8
		}
	}
	return frames, nil
}

// AppendLowFrame appends one E1381 frame: STX FN text ETB|ETX C1 C2 CR LF,
// an end frame (ETX) when end is true.
func AppendLowFrame(dst []byte, fn byte, text []byte, end bool) []byte {
	term := byte(ETB)
	if end {
		term = ETX
	}
	start := len(dst)
	dst = append(dst, STX, fn)
	dst = append(dst, text...)
	dst = append(dst, term)
	sum := Checksum(dst[start+1:])
	const hex = "0123456789ABCDEF"
	return append(dst, hex[sum>>4], hex[sum&15], CR, LF)
}

// Errors of Send; both wrap devices.ErrNotAccepted.
var (
	ErrRefused = fmt.Errorf("receiver answered ENQ with NAK: %w", devices.ErrNotAccepted)
	ErrRetries = fmt.Errorf("frame refused six times: %w", devices.ErrNotAccepted)
	ErrNoReply = fmt.Errorf("no ACK or NAK within the reply time: %w", devices.ErrNotAccepted)
)

var _ devices.Conversant = (*Driver)(nil)

// ReplyTimeout is how long a sender waits for the receiver's ACK or NAK
// (E1381 / LIS01-A2: 15 s) before it gives up with EOT.
const ReplyTimeout = 15 * time.Second

// Converse sends msg, one AppendFrame (ENQ, frames, EOT), over c as an
// analyser does: each step waits for the receiver's ACK, up to
// ReplyTimeout (Driver.ReplyTimeout if set); a NAKed frame goes again, six
// times at most; a receiver that does not answer in time gets EOT.
func (d *Driver) Converse(c devices.Conn, msg []byte) error {
	if len(msg) < 2 || msg[0] != ENQ || msg[len(msg)-1] != EOT {
		return errors.New("astm: converse: not one ENQ … EOT transfer")
	}
	var frames [][]byte
	for rest := msg[1 : len(msg)-1]; len(rest) > 0; {
		end := bytes.IndexByte(rest, LF)
		if rest[0] != STX || end < 0 {
			return errors.New("astm: converse: a frame does not start with STX and end with LF")
		}
		frames = append(frames, rest[:end+1])
		rest = rest[end+1:]
	}
	timeout := d.ReplyTimeout
	if timeout <= 0 {
		timeout = ReplyTimeout
	}
	err := Send(deadlineConn{c, timeout}, frames)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.Write([]byte{EOT}) // the sender's end of a transfer that got no reply
		return ErrNoReply
	}
	return err
}

// deadlineConn sets a read deadline of timeout before every read: the
// standard's reply timer.
type deadlineConn struct {
	devices.Conn
	timeout time.Duration
}

func (c deadlineConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// Send plays the sending side of one E1381 transfer on rw: ENQ, each frame
// after the receiver's ACK (a NAKed frame is sent again, at most six times
// in all), then EOT. It blocks in rw's Read and Write and has no timers:
// the caller bounds it with deadlines on rw, as the standard's 15 s reply
// timer would. For the simulator and tests.
func Send(rw io.ReadWriter, frames [][]byte) error {
	if _, err := rw.Write([]byte{ENQ}); err != nil {
		return err
	}
	if b, err := readReply(rw); err != nil {
		return err
	} else if b != ACK {
		return ErrRefused
	}
	for _, f := range frames {
		for try := 0; ; try++ {
			if try == 6 {
				rw.Write([]byte{EOT})
				return ErrRetries
			}
			if _, err := rw.Write(f); err != nil {
				return err
			}
			b, err := readReply(rw)
			if err != nil {
				return err
			}
			if b == ACK {
				break
			}
		}
	}
	_, err := rw.Write([]byte{EOT})
	return err
}

// readReply reads until ACK or NAK, skipping other bytes and empty reads.
func readReply(r io.Reader) (byte, error) {
	var b [1]byte
	for {
		n, err := r.Read(b[:])
		if n == 1 && (b[0] == ACK || b[0] == NAK) {
			return b[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
}
