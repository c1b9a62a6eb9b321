package record

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	files := func(name string) ([]byte, error) {
		if name == "/run/secrets/influx" {
			return []byte("s3cret-token\n"), nil
		}
		return nil, os.ErrNotExist
	}
	cfg, ok, err := ConfigFromEnv(env(nil), files)
	require.NoError(t, err)
	require.False(t, ok, "no URL: recording only")

	for _, u := range []string{"http://127.0.0.1:8086", "http://influx", "https://[::1]:8086/", "http://x:65535/prefix"} {
		_, ok, err := ConfigFromEnv(env(map[string]string{EnvURL: u, EnvBucket: "b"}), files)
		require.NoError(t, err, u)
		require.True(t, ok, u)
	}
	cfg, ok, err = ConfigFromEnv(env(map[string]string{EnvURL: "https://influx.example:8086", EnvBucket: "pumpside/autogen", EnvTokenFile: "/run/secrets/influx", EnvCAFile: "ca.pem"}), files)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "s3cret-token", cfg.Token)
	require.NotContains(t, cfg.String(), "s3cret", "the token is never printed")
	require.Contains(t, cfg.String(), "token=set")

	for name, m := range map[string]map[string]string{
		"both tokens":  {EnvURL: "http://x", EnvBucket: "b", EnvToken: "a", EnvTokenFile: "/run/secrets/influx"},
		"no bucket":    {EnvURL: "http://x"},
		"bad scheme":   {EnvURL: "influx.example:8086", EnvBucket: "b"},
		"missing file": {EnvURL: "http://x", EnvBucket: "b", EnvTokenFile: "/nope"},
		"no port":      {EnvURL: "http://127.0.0.1:", EnvBucket: "b"},
		"port zero":    {EnvURL: "http://127.0.0.1:0", EnvBucket: "b"},
		"port text":    {EnvURL: "http://127.0.0.1:abc", EnvBucket: "b"},
		"no host":      {EnvURL: "http://:8086", EnvBucket: "b"},
		"query":        {EnvURL: "http://x:8086/?db=p", EnvBucket: "b"},
		"user":         {EnvURL: "http://u:p@x:8086", EnvBucket: "b"},
	} {
		_, _, err := ConfigFromEnv(env(m), files)
		require.ErrorIs(t, err, ErrConfig, name)
	}
}

func TestShippableStripsIdentifiersAndComments(t *testing.T) {
	in := "# comment\n\n" +
		`case,case=C height_cm=175,ident_name="Jane Doe",weight_kg=80,ident_hospital_number="H1" 1772352000000000000` + "\n" +
		`case,case=C ident_name="only an identifier" 1772352000000000001` + "\n" +
		"pump,case=C,source=a flow=4.5 1772352000000000000\n"
	got := string(appendShippable(nil, []byte(in)))
	require.Equal(t, "case,case=C height_cm=175,weight_kg=80 1772352000000000000\n"+
		"pump,case=C,source=a flow=4.5 1772352000000000000\n", got)
	require.NotContains(t, got, "Jane")
}

func TestShipperRefusesCursorPastEnd(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.case")
	require.NoError(t, os.WriteFile(path, []byte("pump,case=C,source=a flow=4.5 1772352000000000000\n"), 0o600))
	require.NoError(t, writeCursor(path, 1000))
	sh, err := NewShipper(path, ShipperOptions{Config: Config{URL: "http://127.0.0.1:1", Bucket: "x/autogen"}})
	require.NoError(t, err)
	defer sh.Close()
	err = sh.Run(context.Background())
	require.ErrorIs(t, err, ErrFormat)
	require.Contains(t, err.Error(), "past the end")

	require.NoError(t, os.WriteFile(CursorPath(path), []byte("garbage"), 0o600))
	_, err = ReadCursor(path)
	require.ErrorIs(t, err, ErrFormat)
}

func TestNewShipperConfigErrors(t *testing.T) {
	_, err := NewShipper("x", ShipperOptions{})
	require.ErrorIs(t, err, ErrConfig)
	dir := t.TempDir()
	bad := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(bad, []byte("not a certificate"), 0o600))
	_, err = NewShipper("x", ShipperOptions{Config: Config{URL: "https://x", Bucket: "b", CAFile: bad}})
	require.ErrorIs(t, err, ErrConfig)
	require.True(t, strings.Contains(err.Error(), "no PEM"), err.Error())
	_, err = NewShipper("x", ShipperOptions{Config: Config{URL: "https://x", Bucket: "b", CAFile: filepath.Join(dir, "nope.pem")}})
	require.True(t, errors.Is(err, os.ErrNotExist))
}

func TestSummarize(t *testing.T) {
	f, err := os.Open("../../testdata/cases/example.case")
	require.NoError(t, err)
	defer f.Close()
	s, err := Summarize(f, nil)
	require.NoError(t, err)
	require.Equal(t, "C-2026-0301-A", s.Case)
	require.Equal(t, Summary{Case: "C-2026-0301-A", Start: 1772352000000000000, End: 1772353600000000000,
		Lines: 35, Samples: 24, Events: 7, Alarms: 3, Bookmarks: 1}, s)
}

// FuzzShippable: whatever the file holds, what is shipped is whole lines,
// and no line that goes out carries an ident_ field.
func FuzzShippable(f *testing.F) {
	f.Add([]byte(`case,case=C height_cm=175,ident_name="Jane Doe" 1772352000000000000` + "\n"))
	f.Add([]byte("# c\n\npump,case=C,source=a flow=4.5 1\n"))
	f.Add([]byte("case ident_name=\"no tags\",h=1 1\n  case,case=C ident_a=\"lead\" 2\n"))
	f.Add([]byte(`case,case=C ident_x="a\"b",ident_y="c" 1` + "\n" + `case,ca\ se=C\,ident_z=1 ident_q=2,w=3 5` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
			data = data[:i+1] // the shipper hands whole lines only
		} else {
			data = nil
		}
		out := appendShippable(nil, data)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			t.Fatalf("not whole lines: %q", out)
		}
		for _, line := range bytes.SplitAfter(out, []byte("\n")) {
			if !bytes.Contains(line, []byte(IdentPrefix)) {
				continue
			}
			// A line with "ident_" left (in a tag, a value) must not have it
			// as a field key.
			r := NewReader(bytes.NewReader(line))
			for r.Next() {
				for _, fv := range r.Entry().Fields {
					if bytes.HasPrefix(fv.Key, []byte(IdentPrefix)) {
						t.Fatalf("identifier shipped: %q", line)
					}
				}
			}
		}
	})
}
