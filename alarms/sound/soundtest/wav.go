package soundtest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ReadWAV decodes a mono 16-bit PCM WAV file into samples in [-1, 1].
func ReadWAV(r io.Reader) (samples []float32, rate int, err error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("soundtest: not a RIFF WAVE file")
	}
	var fmtOK bool
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		if size > len(body) {
			return nil, 0, fmt.Errorf("soundtest: chunk %q of %d bytes runs past the end", id, size)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, 0, errors.New("soundtest: short fmt chunk")
			}
			format, channels := binary.LittleEndian.Uint16(body), binary.LittleEndian.Uint16(body[2:])
			rate = int(binary.LittleEndian.Uint32(body[4:]))
			bits := binary.LittleEndian.Uint16(body[14:])
			if format != 1 || channels != 1 || bits != 16 {
				return nil, 0, fmt.Errorf("soundtest: format %d, %d channels, %d bits: want PCM mono 16-bit", format, channels, bits)
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, 0, errors.New("soundtest: data before fmt")
			}
			samples = make([]float32, size/2)
			for i := range samples {
				samples[i] = float32(int16(binary.LittleEndian.Uint16(body[2*i:]))) / 32767
			}
			return samples, rate, nil
		}
		p += 8 + size + size%2
	}
	return nil, 0, errors.New("soundtest: no data chunk")
}
