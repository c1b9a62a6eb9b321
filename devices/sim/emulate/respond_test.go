package emulate

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// askDriver is a device that answers "?" with the newest pump flow and says
// nothing otherwise: the smallest dialogue.
type askDriver struct{}

// Decode asks every 50 ms, keeping time with read deadlines as a dialogue
// driver does (devices.Deadliner), and reads one value per answer.
func (askDriver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	env = env.WithDefaults()
	dl, _ := rw.(devices.Deadliner)
	buf := make([]byte, 64)
	var off int64
	for ctx.Err() == nil {
		if dl != nil {
			if _, err := rw.Write([]byte("?")); err != nil {
				return err
			}
			dl.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		}
		n, err := rw.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return err
		}
		v, perr := strconv.ParseFloat(strings.TrimSuffix(string(buf[:n]), "\n"), 64)
		if perr != nil {
			env.Events.FrameBad(&devices.FrameError{Driver: "test-ask", Offset: off, Reason: devices.ReasonSyntax, Raw: buf[:n]})
		} else {
			env.Events.FrameOK(off, n)
			env.Sink.Put(monitor.Sample{Source: env.Source, Channel: channel.PumpFlow, Value: v, Quality: channel.OK, Time: env.Clock.Now()})
		}
		off += int64(n)
	}
	return ctx.Err()
}

func (askDriver) Describe() devices.Description {
	return devices.Description{Channels: []devices.ChannelSpec{{ID: channel.PumpFlow}}}
}

func (askDriver) AppendFrame(dst []byte, ss []monitor.Sample) ([]byte, error) {
	for _, s := range ss {
		dst = strconv.AppendFloat(dst, s.Value, 'f', 2, 64)
	}
	return append(dst, '\n'), nil
}

func (a askDriver) Respond(ctx context.Context, c devices.Conn, latest func([]monitor.Sample) []monitor.Sample) error {
	buf := make([]byte, 64)
	for {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		n, err := c.Read(buf)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return err
		}
		if n == 1 && buf[0] == '?' {
			out, _ := a.AppendFrame(nil, latest(nil))
			if _, err := c.Write(out); err != nil {
				return err
			}
		}
	}
}

func init() { devices.Register("test-ask", func() devices.Driver { return askDriver{} }) }

func putFlow(t *testing.T, d *Device, v float64) {
	d.Put(monitor.Sample{Channel: channel.PumpFlow, Value: v, Quality: channel.OK, Time: t0.UnixNano()})
	require.NoError(t, d.Flush())
}

func TestResponderAnswersOverUDPAndTCP(t *testing.T) {
	for _, network := range []string{"udp", "tcp"} {
		t.Run(network, func(t *testing.T) {
			d, err := New("test-ask", nil)
			require.NoError(t, err)
			assert.True(t, d.Responds())
			w, err := Open(d, network+":127.0.0.1:0")
			require.NoError(t, err)
			defer w.Close()
			r := w.(*Responding)
			putFlow(t, d, 4.404)

			c, err := net.Dial(network, r.Addr()[len(network)+1:])
			require.NoError(t, err)
			defer c.Close()
			// Nothing comes unasked.
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			_, err = c.Read(make([]byte, 8))
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)

			ask := func() string {
				_, err := c.Write([]byte("?"))
				require.NoError(t, err)
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				buf := make([]byte, 64)
				n, err := c.Read(buf)
				require.NoError(t, err)
				return string(buf[:n])
			}
			assert.Equal(t, "4.40\n", ask()) // rounded as the device shows it
			putFlow(t, d, 3.1)
			assert.Equal(t, "3.10\n", ask())
		})
	}
}
