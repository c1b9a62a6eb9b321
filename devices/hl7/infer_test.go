package hl7_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/devices/devicetest"
	"github.com/pumpside/pumpside/devices/hl7"
	"github.com/pumpside/pumpside/monitor/channel"
)

// noteRecorder is a devicetest.Recorder that keeps notes too.
type noteRecorder struct {
	devicetest.Recorder
	notes []string
}

func (r *noteRecorder) Note(text string) { r.notes = append(r.notes, text) }

// TestSpecimenInference: each order's site, from SPM-4, then OBR-15, then
// the OBR-4 panel, then the sibling results whose LOINC codes name their
// specimen; analytes measured "in Blood" take the order's site; what
// nothing decides goes to bg.*; every inference is noted.
func TestSpecimenInference(t *testing.T) {
	const (
		hb  = "OBX|1|NM|718-7^Hemoglobin^LN||10.2|g/dL|||||F"
		k   = "OBX|2|NM|6298-4^Potassium^LN||4.1|mmol/L|||||F"
		lac = "OBX|3|NM|32693-4^Lactate^LN||1.4|mmol/L|||||F"
	)
	for _, c := range []struct {
		name  string
		conf  string
		segs  []string
		want  []channel.ID
		notes []string
	}{
		{
			name:  "v2.5.1: SPM-4, after the OBX as the standard orders them",
			segs:  []string{"OBR|1|||24338-6^Gas panel - Blood^LN", hb, k, "SPM|1|||BLDA^Blood arterial^HL70487"},
			want:  []channel.ID{channel.ABGHb, channel.ABGK},
			notes: []string{"specimen arterial, from SPM-4 BLDA"},
		},
		{
			name:  "v2.3: OBR-15, code and text as subcomponents",
			segs:  []string{"OBR|1|||BG|||20260302075300||||||||BLDV&Venous blood&HL70070", hb},
			want:  []channel.ID{channel.VBGHb},
			notes: []string{"specimen venous, from OBR-15 BLDV"},
		},
		{
			name:  "SPM-4 as a SNOMED CT code",
			segs:  []string{"OBR|1|||24338-6^Gas panel - Blood^LN", hb, "SPM|1|||122552005^Arterial blood specimen^SCT"},
			want:  []channel.ID{channel.ABGHb},
			notes: []string{"specimen arterial, from SPM-4 122552005"},
		},
		{
			name:  "central venous in text: table 0487 has no code",
			segs:  []string{"OBR|1|||24338-6^Gas panel - Blood^LN", "OBX|1|NM|2711-0^Oxygen saturation in Venous blood^LN||72|%|||||F", hb, "SPM|1|||^Central venous blood"},
			want:  []channel.ID{channel.CVBGSO2, channel.CVBGHb},
			notes: []string{"specimen central venous, from SPM-4 Central venous blood"},
		},
		{
			name:  "the OBR-4 panel when the specimen says nothing",
			segs:  []string{"OBR|1|||24336-0^Gas panel - Arterial blood^LN", hb, lac, "SPM|1|||BLD^Whole blood^HL70487"},
			want:  []channel.ID{channel.ABGHb, channel.ABGLactate},
			notes: []string{"specimen arterial, from OBR-4 24336-0"},
		},
		{
			name:  "the siblings' LOINC system when nothing else does",
			segs:  []string{"OBR|1|||24338-6^Gas panel - Blood^LN", "OBX|1|NM|2705-2^Oxygen [Partial pressure] in Venous blood^LN||40|mm[Hg]|||||F", hb, k, lac},
			want:  []channel.ID{channel.VBGPO2, channel.VBGHb, channel.VBGK, channel.VBGLactate},
			notes: []string{"specimen venous, from sibling 2705-2"},
		},
		{
			name:  "nothing stated: bg.*, never abg.*",
			segs:  []string{"OBR|1|||24338-6^Gas panel - Blood^LN", hb, k},
			want:  []channel.ID{channel.BGHb, channel.BGK},
			notes: []string{"specimen not stated: results on bg.*"},
		},
		{
			name:  "the site's default",
			conf:  "[sites]\ndefault = \"venous\"\n",
			segs:  []string{"OBR|1", hb},
			want:  []channel.ID{channel.VBGHb},
			notes: []string{"specimen venous, from sites.default"},
		},
		{
			name:  "a code that contradicts its order keeps its site, and says so",
			segs:  []string{"OBR|1", "OBX|1|NM|2703-7^pO2 arterial^LN||90|mm[Hg]|||||F", hb, "SPM|1|||BLDV"},
			want:  []channel.ID{channel.ABGPO2, channel.VBGHb},
			notes: []string{"specimen venous, from SPM-4 BLDV", "2703-7 names arterial, the order venous: its result on abg.*"},
		},
		{
			name:  "each order its own",
			segs:  []string{"OBR|1|||24336-0^^LN", hb, "OBR|2|||24339-4^^LN", hb},
			want:  []channel.ID{channel.ABGHb, channel.VBGHb},
			notes: []string{"specimen arterial, from OBR-4 24336-0", "specimen venous, from OBR-4 24339-4"},
		},
	} {
		d := hl7.New()
		require.NoError(t, devices.Configure(d, devices.TOMLDecoder([]byte("time_zone = \"UTC\"\n"+c.conf))), c.name)
		rec := &noteRecorder{}
		err := d.Decode(context.Background(), devicetest.NewReadWriter(bytes.NewReader(message("S1", append([]string{pid}, c.segs...)...))), devices.Env{Source: 1, Sink: rec, Events: rec})
		require.ErrorIs(t, err, io.EOF)
		assert.Empty(t, rec.Bad, c.name)
		var got []channel.ID
		for _, s := range rec.Samples {
			got = append(got, s.Channel)
			assert.Equal(t, channel.OK, s.Quality, c.name)
		}
		assert.Equal(t, c.want, got, c.name)
		assert.Equal(t, c.notes, rec.notes, c.name)
	}
}
