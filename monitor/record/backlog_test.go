package record

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/masimo"
	"github.com/pumpside/pumpside/monitor"
)

// pipeOpener hands the far end of a pipe to the test: the device.
type pipeOpener struct{ peers chan net.Conn }

func (o pipeOpener) Open(context.Context) (io.ReadWriteCloser, error) {
	a, b := net.Pipe()
	o.peers <- b
	return a, nil
}
func (pipeOpener) Close() error   { return nil }
func (pipeOpener) String() string { return "pipe" }

// A pulse oximeter that paused sends its backlog, ten lines in one write
// (one read), through the real Supervisor into a case file shipped to a
// real InfluxDB: the server must hold ten points per channel. With one
// receive time for the read it kept one and silently replaced nine.
func TestBacklogReachesInfluxDB(t *testing.T) {
	db := "pumpside"
	s := startInfluxd(t, db)
	path := t.TempDir() + "/backlog.case"
	w, err := Open(path, Options{Case: "C-backlog", Sources: []string{"", "oximeter"}})
	require.NoError(t, err)

	op := pipeOpener{peers: make(chan net.Conn, 1)}
	arrived := make(chan struct{}, 64)
	sink := devices.SinkFunc(func(s monitor.Sample) bool { arrived <- struct{}{}; return w.Sample(s) })
	sup, err := devices.NewSupervisor([]devices.Device{{Name: "oximeter", Driver: masimo.New(), Transport: op, Sink: sink, Source: 1}}, devices.SupervisorOptions{})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- sup.Run(ctx) }()
	peer := <-op.peers
	var backlog strings.Builder
	for i := range 10 {
		backlog.WriteString("03/02/26 08:00:0" + string(rune('0'+i)) + " SN=0000056661 SPO2=097% BPM=07" + string(rune('0'+i)) + " PI=03.60% SPCO=--.-% SPMET=--.-% DESAT=-- PIDELTA=+-- ALARM=0000 EXC=000800\r\n")
	}
	_, err = io.WriteString(peer, backlog.String())
	require.NoError(t, err)
	for range 30 { // SpO2, pulse rate and PI of each line
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("the backlog's samples did not arrive")
		}
	}
	cancel()
	require.NoError(t, <-done)
	peer.Close()
	require.NoError(t, w.Close())

	file, _ := filePoints(t, path)
	sh, stop := runShipper(t, path, shipOpts(s, db))
	waitShipped(t, sh, path)
	stop()
	count := func(pts map[string]string, field string) int {
		n := 0
		for k := range pts {
			if strings.HasPrefix(k, "patient|") && strings.Contains(k, "|"+field+"|") {
				n++
			}
		}
		return n
	}
	got := dbPoints(t, s, db)
	for _, f := range []string{"spo2", "hr", "pi"} {
		require.Equal(t, 10, count(file, f), "%s points in the case file", f)
		require.Equal(t, 10, count(got, f), "%s points in InfluxDB", f)
	}
	comparePoints(t, file, got)
}
