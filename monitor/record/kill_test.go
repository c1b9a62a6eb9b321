package record

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

const childEnv = "PUMPSIDE_RECORD_KILL_CHILD"

// TestMain lets the test binary act as the recording child of TestKill9.
func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		recordUntilKilled(path)
		return
	}
	if path := os.Getenv(segChildEnv); path != "" {
		recordSegmentsUntilKilled(path)
		return
	}
	// No goroutine of the writer, the shipper or its HTTP client outlives
	// the tests.
	goleak.VerifyTestMain(m)
}

// recordUntilKilled records samples at about 5,000/s with the default
// group commit and prints how many it has handed over, every 10 ms.
func recordUntilKilled(path string) {
	w, err := Open(path, Options{Case: "kill", Sources: []string{"", "dev"}})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	out := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		for !w.Sample(monitor.Sample{Time: t0 + int64(i)*int64(time.Millisecond), Channel: channel.PumpFlow, Source: 1, Value: float64(i)}) {
			time.Sleep(100 * time.Microsecond)
		}
		if i%50 == 49 {
			fmt.Fprintln(out, i+1)
			out.Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestKill9 records in a child process, kills it with SIGKILL, and checks
// that the reopened file holds every sample handed over up to a second
// before the kill, in order, without a hole or a duplicate, and that Open
// leaves no torn line.
func TestKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kill.case")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	type mark struct {
		at time.Time
		n  int
	}
	marks := make(chan mark, 4096)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			n, err := strconv.Atoi(sc.Text())
			if err != nil {
				continue
			}
			marks <- mark{time.Now(), n}
		}
		close(marks)
	}()
	time.Sleep(2500 * time.Millisecond)
	killed := time.Now()
	require.NoError(t, cmd.Process.Kill()) // SIGKILL
	_ = cmd.Wait()
	must := 0 // handed over at least a second before the kill
	total := 0
	for m := range marks {
		if m.at.Before(killed.Add(-time.Second)) {
			must = m.n
		}
		total = m.n
	}
	require.Greater(t, must, 1000, "the child recorded")

	w, err := Open(path, Options{Case: "kill"})
	require.NoError(t, err)
	t.Logf("handed over %d, %d of them a second before the kill; Open cut %d bytes", total, must, w.Status().Repaired.Bytes)
	require.NoError(t, w.Close())
	rb := readCase(t, path)
	require.Empty(t, rb.bad)
	require.GreaterOrEqual(t, len(rb.samples), must)
	for i, s := range rb.samples {
		require.Equal(t, float64(i), s.Value, "sample %d: in order, no hole, no duplicate", i)
	}
}
