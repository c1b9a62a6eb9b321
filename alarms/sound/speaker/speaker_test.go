package speaker_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pumpside/pumpside/alarms/sound"
	"github.com/pumpside/pumpside/alarms/sound/speaker"
)

func TestMain(m *testing.M) {
	// oto's mixer and device goroutines live for the process once a
	// context exists (documented); nothing else may leak.
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/ebitengine/oto/v3/internal/mux.(*Mux).loop"),
		goleak.IgnoreAnyFunction("github.com/ebitengine/oto/v3.newContext.func1.1"),
	)
}

// TestAlarmSpeakerOpen: on a machine without a sound card (CI, this
// project's build hosts) Open must fail cleanly, fast and without panic,
// with an error the console turns into audio_unavailable; with one, a short
// silence plays.
func TestAlarmSpeakerOpen(t *testing.T) {
	start := time.Now()
	out, err := speaker.Open(sound.SampleRate, 5*time.Second)
	elapsed := time.Since(start)
	assert.Less(t, elapsed, 6*time.Second, "Open must not hang")
	if err != nil {
		t.Logf("no audio output (expected without a sound card): %v", err)
		assert.True(t, errors.Is(err, speaker.ErrUnavailable))
		assert.Nil(t, out)
		// The first Open decides for the process.
		out2, err2 := speaker.Open(sound.SampleRate, time.Second)
		assert.Nil(t, out2)
		assert.Equal(t, err, err2)
		return
	}
	require.NotNil(t, out)
	require.NoError(t, out.Play(sound.Silence(sound.SampleRate, 50*time.Millisecond)))
	time.Sleep(100 * time.Millisecond)
	out.Stop()
	assert.NoError(t, out.Err())
}
