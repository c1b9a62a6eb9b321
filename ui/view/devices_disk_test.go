package view

import "testing"

func TestAppendBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {1536, "1.5 KiB"},
		// 300 MiB = 314572800 B; 77 GiB and a half = 83214991360 B
		{314572800, "300.0 MiB"}, {83214991360, "77.5 GiB"}, {3 << 40, "3.0 TiB"},
	} {
		if got := string(appendBytes(nil, c.n)); got != c.want {
			t.Errorf("appendBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
