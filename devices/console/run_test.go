package console_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/console"
)

// TestRunTable: the [run] table names the kind of run (docs/ecmo.md);
// a mode or segment length it does not know stops the load, naming the key.
func TestRunTable(t *testing.T) {
	const dev = "[[device]]\nname = \"t\"\ndriver = \"generic\"\n[device.transport]\ntype = \"tcp\"\naddr = \"127.0.0.1:1\"\n"
	c, err := console.Parse([]byte(dev), "console.toml")
	require.NoError(t, err)
	require.Equal(t, console.Run{}, c.Run, "no [run]: a bypass console")
	c, err = console.Parse([]byte("[run]\nmode = \"ecmo\"\nsegment = \"12h\"\n"+dev), "console.toml")
	require.NoError(t, err)
	require.Equal(t, console.Run{Mode: "ecmo", Segment: "12h"}, c.Run)
	for _, bad := range []string{"[run]\nmode = \"ecls\"\n", "[run]\nsegment = \"soon\"\n", "[run]\nsegment = \"500ms\"\n", "[run]\nlength = \"1h\"\n"} {
		_, err := console.Parse([]byte(bad+dev), "console.toml")
		require.ErrorIs(t, err, devices.ErrConfig, bad)
		require.ErrorContains(t, err, "run.", bad)
	}
}
