package astm_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/astm"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/monitor/channel"
)

// noteRecorder is a devicetest.Recorder that keeps notes too.
type noteRecorder struct {
	devicetest.Recorder
	notes []string
}

func (r *noteRecorder) Note(text string) { r.notes = append(r.notes, text) }

func decodeNotes(t *testing.T, d *astm.Driver, in []byte) *noteRecorder {
	t.Helper()
	rec := &noteRecorder{}
	err := d.Decode(context.Background(), devicetest.NewReadWriter(bytes.NewReader(in)), devices.Env{Source: 1, Sink: rec, Events: rec, Clock: devicetest.NewStepClock()})
	require.ErrorIs(t, err, io.EOF)
	return rec
}

// TestSpecimenInference: every order's site is inferred from what the
// message says, in the documented order, and named in a note; results
// nothing decides go to bg.*, never to abg.*, never dropped.
func TestSpecimenInference(t *testing.T) {
	for _, c := range []struct {
		name  string
		conf  string
		recs  []string
		want  []channel.ID
		notes []string
	}{
		{
			name:  "Radiometer: Not specified in O.16",
			recs:  []string{"O|1||Sample #^267|^^^|||||||||||Not specified^", "R|1|^^^pH^M|7.41|||N||F", "R|2|^^^K+^M|4.1|mmol/L||N||F"},
			want:  []channel.ID{channel.BGPH, channel.BGK},
			notes: []string{"specimen not stated (O.16 Not specified): results on bg.*"},
		},
		{
			name:  "Radiometer: Arterial in O.16",
			recs:  []string{"O|1||Sample #^259|||||||ANONYMOUS|||||Arterial^", "R|1|^^^pH^M|7.41|||N||F"},
			want:  []channel.ID{channel.ABGPH},
			notes: []string{"specimen arterial, from O.16 Arterial"},
		},
		{
			name:  "the source component when the type says nothing",
			recs:  []string{"O|1|S1||^^^BG|R||||||||||BLD^Mixed venous", "R|1|^^^pH|7.31"},
			want:  []channel.ID{channel.VBGPH},
			notes: []string{"specimen venous, from O.16 Mixed venous"},
		},
		{
			name:  "central venous stays apart from the circuit's venous sample",
			recs:  []string{"O|1|S1||^^^BG|R||||||||||Central venous", "R|1|^^^SvO2|71|%", "R|2|^^^pH|7.33"},
			want:  []channel.ID{channel.CVBGSO2, channel.CVBGPH},
			notes: []string{"specimen central venous, from O.16 Central venous"},
		},
		{
			name:  "epoc: the sample type sent as a result, after the gases",
			recs:  []string{"O|1|A1E18155MHE||ALL|R|20160405082748|20160405082748||||X||||1", "R|1|^^^pH^^^^323.1|7.467|||H||F", "R|2|^^^Sample type^^^^323.1|Arterial|||N||F"},
			want:  []channel.ID{channel.ABGPH},
			notes: []string{"specimen arterial, from specimen test Arterial"},
		},
		{
			name:  "a panel code from the config",
			conf:  "[[panels]]\ncode = \"ABG\"\nsite = \"arterial\"\n",
			recs:  []string{"O|1|S1||^^^ABG|R", "R|1|^^^pH|7.41"},
			want:  []channel.ID{channel.ABGPH},
			notes: []string{"specimen arterial, from O.5 ABG"},
		},
		{
			name:  "a sibling whose code names its site",
			recs:  []string{"O|1|S1||^^^BG|R", "R|1|^^^SaO2|97|%", "R|2|^^^pH|7.41", "R|3|^^^tHb|9.4|mmol/L"},
			want:  []channel.ID{channel.ABGSO2, channel.ABGPH, channel.ABGHb},
			notes: []string{"specimen arterial, from sibling SaO2"},
		},
		{
			name:  "the site's override",
			conf:  "[sites]\noverride = \"arterial\"\n",
			recs:  []string{"O|1|S1||^^^BG|R||||||||||Not specified", "R|1|^^^pH|7.41"},
			want:  []channel.ID{channel.ABGPH},
			notes: []string{"specimen arterial, from sites.override"},
		},
		{
			name:  "two orders, each its own",
			recs:  []string{"O|1|S1||^^^BG|R||||||||||Arterial", "R|1|^^^pH|7.41", "O|2|S2||^^^BG|R||||||||||Venous", "R|1|^^^pH|7.33"},
			want:  []channel.ID{channel.ABGPH, channel.VBGPH},
			notes: []string{"specimen arterial, from O.16 Arterial", "specimen venous, from O.16 Venous"},
		},
	} {
		d := astm.New()
		require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("time_zone = \"UTC\"\n"+c.conf))), c.name)
		recs := append([]string{header, "P|1"}, c.recs...)
		rec := decodeNotes(t, d, session(append(recs, "L|1|N")...))
		assert.Empty(t, rec.Bad, c.name)
		var got []channel.ID
		for _, s := range rec.Samples {
			got = append(got, s.Channel)
		}
		assert.Equal(t, c.want, got, c.name)
		assert.Equal(t, c.notes, rec.notes, c.name)
	}
}

// TestRadiometerValues: Radiometer marks a value it doubts with '?' and
// one it did not measure with dots; its sO2 comes as a fraction without a
// unit.
func TestRadiometerValues(t *testing.T) {
	d := astm.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time_zone = "UTC"`))))
	rec := decodeNotes(t, d, session(header, "P|1", "O|1||Sample #^267|^^^|||||||||||Arterial^",
		"R|1|^^^pH^M|?7.412|||N||R|||20020719151122", "R|2|^^^pCO2^M|.....|mmHg||||F", "R|3|^^^sO2^M|0.973|||N||R", "L|1|N"))
	require.Empty(t, rec.Bad)
	require.Len(t, rec.Samples, 3)
	assert.Equal(t, channel.Questionable, rec.Samples[0].Quality)
	assert.Equal(t, channel.Unavailable, rec.Samples[1].Quality)
	assert.Equal(t, channel.ABGSO2, rec.Samples[2].Channel)
	assert.InDelta(t, 97.3, rec.Samples[2].Value, 1e-9)
}

// TestRecordSyntax: records that pass their frame's checksum but break
// LIS02-A2's syntax are reported and give no value.
func TestRecordSyntax(t *testing.T) {
	order := "O|1|S1||^^^BG|R||||||||||arterial"
	for _, c := range []struct {
		name string
		recs []string
		want error
	}{
		{"sequence number", []string{order, "R|x|^^^pH|7.40"}, astm.ErrSequence},
		{"too many fields", []string{order, "R|1|^^^pH|7.40||||F||||20260302074630|A|B|C"}, astm.ErrFields},
		{"status", []string{order, "R|1|^^^pH|7.40|||||G"}, astm.ErrStatus},
		{"result before order", []string{"R|1|^^^pH|7.40"}, astm.ErrNoOrder},
		{"time", []string{order, "R|1|^^^pH|7.40|||||F||||2026030207463O"}, astm.ErrTime},
		{"no unit", []string{order, "R|1|^^^pO2|13.3|||||F"}, astm.ErrNoUnit},
		{"order time", []string{"O|1|S1||^^^BG|R||2026030207X500||||||||arterial", "R|1|^^^pH|7.40"}, astm.ErrTime},
	} {
		rec := decodeNotes(t, astm.New(), session(append(append([]string{header, "P|1"}, c.recs...), "L|1|N")...))
		require.NotEmpty(t, rec.Bad, c.name)
		assert.ErrorIs(t, rec.Bad[0], c.want, c.name)
		for _, s := range rec.Samples {
			assert.NotEqual(t, channel.OK, s.Quality, "%s: %v", c.name, s.Channel)
		}
	}
}

// TestOneTimePerSample: Radiometer writes the time on the first result
// record only; the order's other results are the same sample, at the same
// time, not at the receive time.
func TestOneTimePerSample(t *testing.T) {
	d := astm.New()
	require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte(`time_zone = "UTC"`))))
	rec := decodeNotes(t, d, session(header, "P|1", "O|1||Sample #^312|^^^|||||||||||Arterial^",
		"R|1|^^^pH^M|7.41|||N||F||||20260302074500", "R|2|^^^pCO2^M|5.2|kPa||N||F||||", "L|1|N"))
	require.Len(t, rec.Samples, 2)
	assert.Equal(t, rec.Samples[0].Time, rec.Samples[1].Time)
	assert.Equal(t, "2026-03-02T07:45:00Z", time.Unix(0, rec.Samples[1].Time).UTC().Format(time.RFC3339))
}
