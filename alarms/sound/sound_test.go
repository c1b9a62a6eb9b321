package sound_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/alarms"
	"github.com/pumpside/pumpside/alarms/sound"
	"github.com/pumpside/pumpside/alarms/sound/soundtest"
)

// TestAlarmBurstWAV renders each priority's burst, writes it as WAV, reads
// the file back and measures the audio itself against the IEC windows:
// pulse count, pulse duration, spacing (HIGH's x-x-x--x-x pattern and the
// pause between its two groups), rise and fall, fundamental and harmonics.
func TestAlarmBurstWAV(t *testing.T) {
	for _, p := range []alarms.Priority{alarms.High, alarms.Medium, alarms.Low} {
		t.Run(p.String(), func(t *testing.T) {
			spec := sound.ForPriority(p)
			require.NoError(t, spec.Check())
			win := sound.WindowsFor(p)

			var buf bytes.Buffer
			require.NoError(t, sound.WriteWAV(&buf, sound.SampleRate, spec.Render(sound.SampleRate)))
			x, rate, err := soundtest.ReadWAV(&buf)
			require.NoError(t, err)
			require.Equal(t, sound.SampleRate, rate)
			a, err := soundtest.Analyze(x, rate)
			require.NoError(t, err)

			t.Logf("%s: fundamental %.2f Hz, harmonics %.1f dB, pulse 1 %v (rise %v fall %v), gaps %v",
				p, a.Fundamental, a.HarmonicDB, a.Pulses[0].Duration(), a.Pulses[0].Rise, a.Pulses[0].Fall, a.Gaps())

			// Frequency.
			assert.InDelta(t, spec.Fundamental, a.Fundamental, 1, "fundamental")
			assert.GreaterOrEqual(t, a.Fundamental, win.Fundamental[0])
			assert.LessOrEqual(t, a.Fundamental, win.Fundamental[1])
			n := 0
			for i, db := range a.HarmonicDB {
				f := float64(i+2) * a.Fundamental
				if f >= win.HarmonicBand[0] && f <= win.HarmonicBand[1] && db >= -win.HarmonicWithinDB {
					n++
				}
			}
			assert.GreaterOrEqual(t, n, win.MinHarmonics, "harmonics within %g dB: %v", win.HarmonicWithinDB, a.HarmonicDB)

			// Envelope measurements are good to about one period of the
			// fundamental (the envelope window) plus a millisecond.
			tol := time.Duration(float64(time.Second)/a.Fundamental) + time.Millisecond
			require.Len(t, a.Pulses, spec.Pulses, "pulse count")
			assert.GreaterOrEqual(t, len(a.Pulses), win.Pulses[0])
			assert.LessOrEqual(t, len(a.Pulses), win.Pulses[1])
			peak := a.Pulses[0].Peak
			for i, pl := range a.Pulses {
				assert.InDelta(t, spec.Pulse, pl.Duration(), float64(tol), "pulse %d duration", i)
				assert.True(t, pl.Duration() >= win.Pulse[0] && pl.Duration() <= win.Pulse[1], "pulse %d duration %v outside %v", i, pl.Duration(), win.Pulse)
				for _, ramp := range []time.Duration{pl.Rise, pl.Fall} {
					frac := ramp.Seconds() / pl.Duration().Seconds()
					assert.True(t, frac >= win.Rise[0]-0.02 && frac <= win.Rise[1]+0.02, "pulse %d rise/fall %.3f of the pulse outside %v", i, frac, win.Rise)
				}
				assert.InDelta(t, peak, pl.Peak, 0.02*peak, "pulse %d level", i)
				assert.LessOrEqual(t, pl.Peak, 1.0)
			}
			for i, g := range a.Gaps() {
				switch {
				case p == alarms.High && i == 4:
					assert.InDelta(t, spec.GroupGap, g, float64(tol), "gap between the groups")
					assert.True(t, g >= win.GroupGap[0] && g <= win.GroupGap[1], "group gap %v outside %v", g, win.GroupGap)
				case p == alarms.High && i%5 == 2:
					assert.InDelta(t, 2*spec.Spacing+spec.Pulse, g, float64(tol), "gap %d: 2 ts + td", i)
				default:
					assert.InDelta(t, spec.Spacing, g, float64(tol), "gap %d", i)
					assert.True(t, g >= win.Spacing[0] && g <= win.Spacing[1], "gap %d %v outside %v", i, g, win.Spacing)
				}
			}
			// Onsets as documented.
			for i, on := range spec.Onsets() {
				assert.InDelta(t, on, a.Pulses[i].Start, float64(tol), "onset %d", i)
			}
			// No continuous tone: silence after the last pulse and between
			// pulses.
			assert.InDelta(t, spec.Duration().Seconds(), float64(len(x))/float64(rate), 1e-3)
		})
	}
}

func TestAlarmBurstCheckRejects(t *testing.T) {
	s := sound.ForPriority(alarms.High)
	s.Pulses, s.Spacing, s.Fundamental, s.Rise = 9, 200*time.Millisecond, 1200, 0.3
	err := s.Check()
	require.Error(t, err)
	for _, want := range []string{"9 pulses", "spacing 200ms", "fundamental 1200", "rise 0.3", "harmonics"} {
		assert.Contains(t, err.Error(), want)
	}
	m := sound.ForPriority(alarms.Medium)
	m.Harmonics = []float64{1, 0.05, 0.05, 0.05, 0.05} // -26 dB: too weak
	assert.ErrorContains(t, m.Check(), "harmonics within 15 dB")
	l := sound.ForPriority(alarms.Low)
	l.Pulses = 3
	assert.ErrorContains(t, l.Check(), "3 pulses")
}

func TestAlarmBankAndSilence(t *testing.T) {
	b := sound.NewBank(sound.SampleRate)
	for p := alarms.Low; p <= alarms.High; p++ {
		assert.Len(t, b.Burst(p), int(math.Ceil(sound.ForPriority(p).Duration().Seconds()*sound.SampleRate)))
	}
	assert.Nil(t, b.Burst(alarms.NoPriority))
	assert.Nil(t, b.Burst(alarms.Priority(9)))
	assert.Len(t, sound.Silence(1000, 50*time.Millisecond), 50)
}

func TestAlarmWAVHeader(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, sound.WriteWAV(&buf, 8000, []float32{0, 1, -1, 2, -2, 0.5}))
	b := buf.Bytes()
	require.Len(t, b, 44+12)
	assert.Equal(t, "RIFF", string(b[0:4]))
	assert.Equal(t, uint32(36+12), binary.LittleEndian.Uint32(b[4:]))
	assert.Equal(t, "WAVEfmt ", string(b[8:16]))
	assert.Equal(t, uint32(8000), binary.LittleEndian.Uint32(b[24:]))
	assert.Equal(t, uint32(16000), binary.LittleEndian.Uint32(b[28:]))
	assert.Equal(t, "data", string(b[36:40]))
	want := []int16{0, 32767, -32767, 32767, -32767, 16384}
	for i, w := range want {
		assert.Equal(t, w, int16(binary.LittleEndian.Uint16(b[44+2*i:])), "sample %d", i)
	}
	x, rate, err := soundtest.ReadWAV(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, 8000, rate)
	assert.InDelta(t, -1, x[4], 1e-6)

	_, _, err = soundtest.ReadWAV(bytes.NewReader(b[:30]))
	assert.Error(t, err)
	assert.Error(t, sound.WriteWAV(failWriter{}, 8000, make([]float32, 10000)))
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestAlarmSequencer(t *testing.T) {
	var repeat [alarms.High + 1]time.Duration
	repeat[alarms.High], repeat[alarms.Medium], repeat[alarms.Low] = 7*time.Second, 15*time.Second, 0
	s := sound.NewSequencer(repeat)
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	type step struct {
		at      time.Duration
		audible alarms.Priority
		start   alarms.Priority
		stop    bool
	}
	steps := []step{
		{0, alarms.NoPriority, alarms.NoPriority, false},
		{time.Second, alarms.Medium, alarms.Medium, false}, // starts at once
		{2 * time.Second, alarms.Medium, alarms.NoPriority, false},
		{16 * time.Second, alarms.Medium, alarms.Medium, false}, // repeat after 15 s
		{17 * time.Second, alarms.High, alarms.High, false},     // a higher priority at once
		{23 * time.Second, alarms.High, alarms.NoPriority, false},
		{24 * time.Second, alarms.High, alarms.High, false},
		{60 * time.Second, alarms.High, alarms.High, false}, // late: one burst, no catch-up
		{61 * time.Second, alarms.High, alarms.NoPriority, false},
		{62 * time.Second, alarms.Medium, alarms.Medium, false}, // back to medium at once
		{63 * time.Second, alarms.NoPriority, alarms.NoPriority, true},
		{64 * time.Second, alarms.NoPriority, alarms.NoPriority, false},
		{65 * time.Second, alarms.Low, alarms.Low, false},
		{200 * time.Second, alarms.Low, alarms.NoPriority, false}, // LOW repeat 0: once
	}
	for _, st := range steps {
		start, stop := s.Next(at(st.at), st.audible)
		assert.Equal(t, st.start, start, "at %v", st.at)
		assert.Equal(t, st.stop, stop, "at %v", st.at)
	}
}

func TestAlarmRecorderOutput(t *testing.T) {
	var out sound.Output = &soundtest.Recorder{}
	require.NoError(t, out.Play([]float32{1}))
	out.Stop()
	r := out.(*soundtest.Recorder)
	assert.Len(t, r.Plays(), 1)
	assert.Equal(t, 1, r.Stops())
	r.Failure = errors.New("gone")
	assert.Error(t, out.Play(nil))
	assert.Error(t, out.Err())
}
