package speaker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/ebitengine/oto/v3"

	"github.com/pumpside/pumpside/alarms/sound"
)

// ErrUnavailable: no audio output could be opened, or it has failed.
var ErrUnavailable = errors.New("speaker: audio output unavailable")

// Output plays on the sound card.
type Output struct {
	ctx    *oto.Context
	mu     sync.Mutex
	player *oto.Player
}

var _ sound.Output = (*Output)(nil)

var (
	once    sync.Once
	shared  *Output
	openErr error
)

// bufferSize keeps the latency from Play to sound low.
const bufferSize = 50 * time.Millisecond

// Open opens the default audio output at sampleRate (mono), waiting at most
// timeout for the device.
func Open(sampleRate int, timeout time.Duration) (*Output, error) {
	once.Do(func() { shared, openErr = open(sampleRate, timeout) })
	return shared, openErr
}

func open(sampleRate int, timeout time.Duration) (*Output, error) {
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate:   sampleRate,
		ChannelCount: 1,
		Format:       oto.FormatFloat32LE,
		BufferSize:   bufferSize,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	// The device is opened on oto's goroutine; ready closes when it is done
	// either way. A device that never answers must not hang the console.
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ready:
	case <-t.C:
		return nil, fmt.Errorf("%w: no answer from the audio device within %v", ErrUnavailable, timeout)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return &Output{ctx: ctx}, nil
}

// Play implements sound.Output: it replaces whatever is playing.
func (o *Output) Play(samples []float32) error {
	if err := o.Err(); err != nil {
		return err
	}
	b := make([]byte, 4*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(s))
	}
	p := o.ctx.NewPlayer(bytes.NewReader(b))
	o.mu.Lock()
	if o.player != nil {
		o.player.Pause()
	}
	o.player = p
	o.mu.Unlock()
	p.Play()
	return nil
}

// Stop implements sound.Output.
func (o *Output) Stop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.player != nil {
		o.player.Pause()
		o.player = nil
	}
}

// Err implements sound.Output: the device's or the current player's
// failure, wrapping ErrUnavailable.
func (o *Output) Err() error {
	if err := o.ctx.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.player != nil {
		if err := o.player.Err(); err != nil {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return nil
}
