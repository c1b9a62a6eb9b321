package devicetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/capture"
	"github.com/pumpside/pumpside/devices/transport"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Options tune Check for a driver. The zero value suits a line protocol.
type Options struct {
	// Dir holds the test cases, one folder each: input (raw bytes) or
	// input.cap (a capture), optional config.toml (the driver's options),
	// expected.jsonl (the samples, as `pumpside decode` prints them) and
	// frames.txt (frame outcomes, see Recorder.Frames). Default "testdata".
	// Set DEVICETEST_UPDATE=1 to rewrite expected.jsonl and frames.txt.
	Dir string
	// Frames are well-formed frames for the stream checks. Nil means: encode
	// the samples of the cases with the driver's Encoder.
	Frames [][]byte
	// Checksummed says every frame carries a check: any single changed byte
	// must make its frame bad.
	Checksummed bool
	// Oversize is the length of the over-long frame; default 100 MB.
	Oversize int64
	// OversizeHead and OversizeTail wrap the filler bytes of the over-long
	// frame; default nothing and CR LF. Filler defaults to 'A'.
	OversizeHead, OversizeTail []byte
	Filler                     byte
	// HeapBound is how far the heap in use may grow while the over-long
	// frame is decoded; default 16 MB.
	HeapBound uint64
	// ZeroAllocs requires that decoding allocate nothing once warm.
	ZeroAllocs bool
}

func (o *Options) defaults() {
	if o.Dir == "" {
		o.Dir = "testdata"
	}
	if o.Oversize == 0 {
		o.Oversize = 100 << 20
	}
	if o.OversizeTail == nil {
		o.OversizeTail = []byte("\r\n")
	}
	if o.Filler == 0 {
		o.Filler = 'A'
	}
	if o.HeapBound == 0 {
		o.HeapBound = 16 << 20
	}
}

// Case is one test case folder.
type Case struct {
	Name   string
	Dir    string
	Input  []byte // raw bytes, or the capture file
	Config []byte // nil without config.toml
}

// Capture reports whether the input is a capture file.
func (c Case) Capture() bool { return capture.IsCapture(c.Input) }

// Payload returns the device bytes of the input (a capture's records joined).
func (c Case) Payload() []byte {
	if !c.Capture() {
		return c.Input
	}
	rd, err := capture.NewReader(bytes.NewReader(c.Input))
	if err != nil {
		return nil
	}
	var out []byte
	for {
		rec, err := rd.Next()
		if err != nil {
			return out
		}
		out = append(out, rec.Data...)
	}
}

// Reader returns a reader of the input: a capture player when the input is
// a capture.
func (c Case) Reader() io.Reader {
	if c.Capture() {
		cr, err := transport.NewCaptureReader(bytes.NewReader(c.Input), false)
		if err == nil {
			return cr
		}
	}
	return bytes.NewReader(c.Input)
}

// Cases reads the case folders under dir.
func Cases(dir string) ([]Case, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, e := range ents {
		if !e.IsDir() || e.Name() == "fuzz" {
			continue
		}
		c := Case{Name: e.Name(), Dir: filepath.Join(dir, e.Name())}
		if c.Input, err = os.ReadFile(filepath.Join(c.Dir, "input")); errors.Is(err, os.ErrNotExist) {
			c.Input, err = os.ReadFile(filepath.Join(c.Dir, "input.cap"))
		}
		if err != nil {
			return nil, fmt.Errorf("case %s: %w", c.Name, err)
		}
		if c.Config, err = os.ReadFile(filepath.Join(c.Dir, "config.toml")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// NewDriver returns the registered driver name with the case's options.
func (c Case) NewDriver(t testing.TB, name string) devices.Driver {
	t.Helper()
	d, err := devices.New(name)
	require.NoError(t, err)
	var decode func(any) error
	if c.Config != nil {
		decode = devices.TOMLDecoder(c.Config)
	}
	require.NoError(t, devices.Configure(d, decode), "case %s config", c.Name)
	return d
}

// Check runs the conformance checks on the driver registered as name.
func Check(t *testing.T, name string, opts Options) {
	opts.defaults()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	d, err := devices.New(name)
	require.NoError(t, err, "driver %s must be registered", name)

	t.Run("describe", func(t *testing.T) { checkDescribe(t, name, d) })

	cases, err := Cases(opts.Dir)
	require.NoError(t, err)
	require.NotEmpty(t, cases, "no test cases in %s", opts.Dir)
	var groups [][]monitor.Sample
	for _, c := range cases {
		t.Run("case/"+c.Name, func(t *testing.T) {
			groups = append(groups, checkCase(t, name, c)...)
		})
		t.Run("split/"+c.Name, func(t *testing.T) { checkSplits(t, name, c) })
	}

	frames := opts.Frames
	if frames == nil {
		frames = encodeFrames(t, d, groups)
	}
	require.NotEmpty(t, frames, "no frames for the stream checks: give Options.Frames or implement devices.Encoder")
	newDriver := func() devices.Driver { fresh, _ := devices.New(name); return fresh }
	refs := make([][]key, len(frames))
	for i, f := range frames {
		rec, err := Decode(newDriver(), bytes.NewReader(f))
		require.NoError(t, err)
		require.Equal(t, 1, rec.OK, "frame %d %q must decode alone", i, f)
		require.Empty(t, rec.Bad, "frame %d %q", i, f)
		refs[i] = keys(rec.Samples)
	}
	all := func(from, to int) []key {
		var out []key
		for _, r := range refs[max(0, min(from, len(refs))):max(0, min(to, len(refs)))] {
			out = append(out, r...)
		}
		return out
	}
	join := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }

	t.Run("garbage before sync", func(t *testing.T) {
		const alphabet = "ABCXYZ0123456789=|,.:/ -%*\r\n\x00\xff\x02\x03\x0b\x1c"
		for seed := range uint64(30) {
			rng := rand.New(rand.NewPCG(seed, 1))
			g := make([]byte, 1+rng.IntN(300))
			for i := range g {
				g[i] = alphabet[rng.IntN(len(alphabet))]
			}
			rec, err := Decode(newDriver(), bytes.NewReader(join(g, join(frames...))))
			require.NoError(t, err)
			got := keys(rec.Samples)
			want := all(1, len(refs))
			require.GreaterOrEqual(t, len(got), len(want), "garbage %q", g)
			assert.Equal(t, norm(want), norm(got[len(got)-len(want):]), "garbage %q: frames after the first must decode", g)
			assertSubsetf(t, got, all(0, len(refs)), "garbage %q", g)
		}
	})

	t.Run("truncated", func(t *testing.T) {
		for i := range min(len(frames), 5) {
			f := frames[i]
			for _, cut := range []int{1, len(f) / 2, len(f) - 3} {
				if cut <= 0 || cut >= len(f) {
					continue
				}
				in := join(join(frames[:i]...), f[:cut], join(frames[i+1:]...))
				rec, err := Decode(newDriver(), bytes.NewReader(in))
				require.NoError(t, err)
				got := keys(rec.Samples)
				pre, post := all(0, i), all(i+2, len(refs))
				require.GreaterOrEqual(t, len(got), len(pre)+len(post), "frame %d cut at %d", i, cut)
				assert.Equal(t, norm(pre), norm(got[:len(pre)]), "frame %d cut at %d: earlier frames", i, cut)
				assert.Equal(t, norm(post), norm(got[len(got)-len(post):]), "frame %d cut at %d: later frames", i, cut)
				assertSubsetf(t, got[len(pre):len(got)-len(post)], all(i, i+2), "frame %d cut at %d", i, cut)
				assert.NotEmpty(t, rec.Bad, "frame %d cut at %d: a bad frame must be reported", i, cut)
			}
		}
		f := frames[0]
		rec, err := Decode(newDriver(), bytes.NewReader(join(join(frames...), f[:len(f)/2])))
		require.NoError(t, err)
		assert.Equal(t, norm(all(0, len(refs))), norm(keys(rec.Samples)))
		if assert.NotEmpty(t, rec.Bad) {
			last := rec.Bad[len(rec.Bad)-1]
			assert.Equal(t, devices.ReasonTruncated, last.Reason)
			assert.Equal(t, int64(len(join(frames...))), last.Offset)
		}
	})

	t.Run("oversize", func(t *testing.T) { checkOversize(t, newDriver(), frames, all(0, len(refs)), opts) })

	t.Run("corrupted bytes", func(t *testing.T) {
		for i := range min(len(frames), 3) {
			f := frames[i]
			for p := range f {
				repl := []byte{0x00, 0xff}
				if opts.Checksummed {
					repl = append(repl, f[p]^0x01, f[p]^0x80)
				}
				for _, r := range repl {
					if r == f[p] {
						continue
					}
					bad := bytes.Clone(f)
					bad[p] = r
					in := join(join(frames[:i]...), bad, join(frames[i+1:]...))
					rec, err := Decode(newDriver(), bytes.NewReader(in))
					require.NoError(t, err)
					got := keys(rec.Samples)
					pre, post := all(0, i), all(i+2, len(refs))
					require.GreaterOrEqual(t, len(got), len(pre)+len(post), "frame %d byte %d = %#x", i, p, r)
					assert.Equal(t, norm(pre), norm(got[:len(pre)]), "frame %d byte %d = %#x", i, p, r)
					assert.Equal(t, norm(post), norm(got[len(got)-len(post):]), "frame %d byte %d = %#x", i, p, r)
					assertSubsetf(t, got[len(pre):len(got)-len(post)], all(i, i+2), "frame %d byte %d = %#x", i, p, r)
					if opts.Checksummed {
						assert.NotEmpty(t, rec.Bad, "frame %d byte %d = %#x must fail its check", i, p, r)
					}
				}
			}
		}
	})

	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &cycle{data: join(frames...), limit: 1 << 20}
		sink := devices.SinkFunc(func(monitor.Sample) bool { cancel(); src.cancelled = true; return true })
		err := newDriver().Decode(ctx, NewReadWriter(src), devices.Env{Sink: sink})
		assert.ErrorIs(t, err, context.Canceled, "Decode must return ctx.Err() soon after ctx is done")
	})

	t.Run("allocs", func(t *testing.T) {
		data := bytes.Repeat(join(frames...), max(1, 2000/len(frames)))
		drv := newDriver()
		rd := bytes.NewReader(data)
		rw := &ReadWriter{Reader: rd, Writer: io.Discard}
		var n int
		env := devices.Env{Sink: devices.SinkFunc(func(monitor.Sample) bool { n++; return true }), Events: devices.Discard, Clock: devices.ClockFunc(func() int64 { return T0 })}
		run := func() {
			rd.Reset(data)
			if err := drv.Decode(context.Background(), rw, env); err != io.EOF {
				t.Fatal(err)
			}
		}
		run()
		n = 0
		allocs := testing.AllocsPerRun(3, run)
		perSample := allocs / float64(n/4) // AllocsPerRun runs once more to warm up
		t.Logf("%.0f allocations per decode of %d bytes, %d samples: %.4f per sample", allocs, len(data), n/4, perSample)
		if opts.ZeroAllocs && !raceEnabled {
			assert.Zero(t, allocs, "decoding must not allocate once warm")
		}
	})
}

func checkDescribe(t *testing.T, name string, d devices.Driver) {
	ds, ok := d.(devices.Describer)
	require.True(t, ok, "driver %s should implement devices.Describer", name)
	desc := ds.Describe()
	assert.NotEmpty(t, desc.Summary)
	assert.NotEmpty(t, desc.Channels)
	assert.Positive(t, desc.MaxFrame)
	for _, c := range desc.Channels {
		assert.True(t, c.ID.Valid(), "channel %v", c.ID)
	}
	if desc.SampleConfig != "" {
		fresh, err := devices.New(name)
		require.NoError(t, err)
		require.NoError(t, devices.Configure(fresh, devices.TOMLDecoder([]byte(desc.SampleConfig))), "sample config must decode")
	}
	_, err := devices.New(name + "-no-such-driver")
	assert.ErrorIs(t, err, devices.ErrConfig)
}

func update() bool { return os.Getenv("DEVICETEST_UPDATE") != "" }

// checkCase decodes one case and compares it with its expected files. It
// returns the samples grouped by frame, for the stream checks.
func checkCase(t *testing.T, name string, c Case) [][]monitor.Sample {
	d := c.NewDriver(t, name)
	rec, err := Decode(d, c.Reader())
	if !errors.Is(err, capture.ErrTruncated) {
		require.NoError(t, err)
	}
	allowed := map[channel.ID]bool{}
	for _, ch := range devices.Describe(d).Channels {
		allowed[ch.ID] = true
	}
	for _, s := range rec.Samples {
		assert.True(t, allowed[s.Channel], "sample on %v, which Describe does not list", s.Channel)
		assert.Equal(t, monitor.SourceID(1), s.Source, "the source must be stamped")
		if s.Quality == channel.OK {
			assert.True(t, channel.Get(s.Channel).InRange(s.Value), "%v = %v is out of range but OK: use Classify", s.Channel, s.Value)
		}
	}
	jsonl, frames := rec.JSONL(name), rec.Frames()
	expJ, expF := filepath.Join(c.Dir, "expected.jsonl"), filepath.Join(c.Dir, "frames.txt")
	if update() {
		require.NoError(t, os.WriteFile(expJ, []byte(jsonl), 0o644))
		require.NoError(t, os.WriteFile(expF, []byte(frames), 0o644))
	}
	want, err := os.ReadFile(expJ)
	require.NoError(t, err, "DEVICETEST_UPDATE=1 writes it")
	assert.Equal(t, string(want), jsonl, "samples differ from %s", expJ)
	ok, bad, err := ReadFrames(expF)
	require.NoError(t, err)
	assert.Equal(t, ok, rec.OK, "frames ok")
	if assert.Len(t, rec.Bad, len(bad), "bad frames: %s", frames) {
		for i, b := range bad {
			assert.Equal(t, b.Offset, rec.Bad[i].Offset, "bad frame %d offset", i)
			assert.Equal(t, b.Reason, rec.Bad[i].Reason, "bad frame %d at %d reason", i, b.Offset)
		}
	}
	return group(rec.Samples)
}

// checkSplits decodes the case's bytes read in two parts at every boundary,
// and one byte at a time, and wants what one read gives.
func checkSplits(t *testing.T, name string, c Case) {
	data := c.Payload()
	ref, err := Decode(c.NewDriver(t, name), bytes.NewReader(data))
	require.NoError(t, err)
	want, wantFrames := ref.JSONL(name), ref.Frames()
	check := func(r io.Reader, what string) {
		rec, err := Decode(c.NewDriver(t, name), r)
		require.NoError(t, err, what)
		if rec.JSONL(name) != want || rec.Frames() != wantFrames {
			t.Fatalf("%s: decoding differs from a single read\nframes %s\nwant %s", what, rec.Frames(), wantFrames)
		}
	}
	check(iotest.OneByteReader(bytes.NewReader(data)), "one byte a read")
	step := max(1, len(data)/4096)
	for k := 1; k < len(data); k += step {
		check(io.MultiReader(bytes.NewReader(data[:k]), bytes.NewReader(data[k:])), fmt.Sprintf("split at %d", k))
	}
}

// group splits samples into frames: a new frame starts when the time changes
// or a channel repeats.
func group(ss []monitor.Sample) [][]monitor.Sample {
	var out [][]monitor.Sample
	for i, s := range ss {
		if i == 0 || s.Time != ss[i-1].Time || slices.ContainsFunc(out[len(out)-1], func(o monitor.Sample) bool { return o.Channel == s.Channel }) {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], s)
	}
	return out
}

// encodeFrames encodes up to 20 sample groups and checks that each decodes
// back: OK samples to the same values, nothing else to OK.
func encodeFrames(t *testing.T, d devices.Driver, groups [][]monitor.Sample) [][]byte {
	enc, ok := d.(devices.Encoder)
	if !ok {
		return nil
	}
	var frames [][]byte
	for _, g := range groups[:min(len(groups), 20)] {
		f, err := enc.AppendFrame(nil, g)
		require.NoError(t, err, "encode %v", g)
		rec, err := Decode(d, bytes.NewReader(f))
		require.NoError(t, err)
		require.Equal(t, 1, rec.OK, "encoded frame %q must decode", f)
		for _, s := range g {
			i := slices.IndexFunc(rec.Samples, func(o monitor.Sample) bool { return o.Channel == s.Channel })
			if !assert.GreaterOrEqual(t, i, 0, "%v lost in encoding %q", s.Channel, f) {
				continue
			}
			back := rec.Samples[i]
			if s.Quality == channel.OK {
				assert.Equal(t, channel.OK, back.Quality, "%v in %q", s.Channel, f)
				assert.InDelta(t, s.Value, back.Value, 1e-9, "%v in %q", s.Channel, f)
			} else {
				assert.NotEqual(t, channel.OK, back.Quality, "%v (%v) came back OK from %q", s.Channel, s.Quality, f)
			}
		}
		frames = append(frames, f)
	}
	return frames
}

// key is a sample without its time: what the stream checks compare.
type key struct {
	Channel channel.ID
	Quality channel.Quality
	Value   float64
}

func keys(ss []monitor.Sample) []key {
	out := make([]key, len(ss))
	for i, s := range ss {
		out[i] = key{s.Channel, s.Quality, s.Value}
		if s.Quality != channel.OK || math.IsNaN(s.Value) {
			out[i].Value = 0
		}
	}
	return out
}

// norm makes empty slices nil, so that comparisons ignore the difference.
func norm(k []key) []key {
	if len(k) == 0 {
		return nil
	}
	return k
}

// assertSubsetf checks got is a sub-multiset of pool: damage may lose
// samples, never invent them.
func assertSubsetf(t *testing.T, got, pool []key, format string, args ...any) {
	t.Helper()
	left := slices.Clone(pool)
	for _, k := range got {
		i := slices.Index(left, k)
		if i < 0 {
			assert.Failf(t, "a sample no intact frame carries", "%v %v %v; %s", k.Channel, k.Quality, k.Value, fmt.Sprintf(format, args...))
			return
		}
		left = slices.Delete(left, i, i+1)
	}
}

// cycle repeats data; after cancellation it allows limit more bytes, then
// fails so that a driver that ignores ctx fails the test instead of hanging.
type cycle struct {
	data      []byte
	off       int
	cancelled bool
	limit     int
}

func (c *cycle) Read(p []byte) (int, error) {
	if c.cancelled {
		if c.limit <= 0 {
			return 0, errors.New("devicetest: Decode ignored the cancelled context")
		}
		c.limit -= len(p)
	}
	n := copy(p, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}

// filler yields n copies of b without allocating, and records the peak heap
// in use every 4 MB.
type filler struct {
	n    int64
	b    byte
	seen int64
	peak uint64
	ms   runtime.MemStats
}

func (f *filler) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	for i := range p {
		p[i] = f.b
	}
	f.n -= int64(len(p))
	f.seen += int64(len(p))
	if f.seen >= 4<<20 {
		f.seen = 0
		runtime.ReadMemStats(&f.ms)
		f.peak = max(f.peak, f.ms.HeapInuse)
	}
	return len(p), nil
}

func checkOversize(t *testing.T, d devices.Driver, frames [][]byte, want []key, opts Options) {
	fill := &filler{n: opts.Oversize, b: opts.Filler}
	r := io.MultiReader(bytes.NewReader(frames[0]), bytes.NewReader(opts.OversizeHead), fill,
		bytes.NewReader(opts.OversizeTail), bytes.NewReader(bytes.Join(frames[1:], nil)))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	rec, err := Decode(d, r)
	require.NoError(t, err)
	assert.Equal(t, norm(want), norm(keys(rec.Samples)), "the frames around the over-long one must decode")
	if assert.Len(t, rec.Bad, 1, "one bad frame: %s", rec.Frames()) {
		assert.Equal(t, devices.ReasonOversize, rec.Bad[0].Reason)
		assert.Equal(t, int64(len(frames[0])), rec.Bad[0].Offset)
	}
	grew := int64(fill.peak) - int64(before.HeapInuse)
	t.Logf("heap in use grew by %d KiB while decoding a %d MB frame", grew>>10, opts.Oversize>>20)
	assert.Less(t, grew, int64(opts.HeapBound), "an over-long frame must not be buffered")
}
