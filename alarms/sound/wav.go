package sound

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// WriteWAV writes samples as a mono 16-bit PCM WAV file at rate. Samples
// outside [-1, 1] are clipped.
func WriteWAV(w io.Writer, rate int, samples []float32) error {
	const bits, channels = 16, 1
	data := uint32(len(samples) * bits / 8)
	bw := bufio.NewWriter(w)
	hdr := make([]byte, 0, 44)
	hdr = append(hdr, "RIFF"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, 36+data)
	hdr = append(hdr, "WAVEfmt "...)
	hdr = binary.LittleEndian.AppendUint32(hdr, 16) // fmt chunk size
	hdr = binary.LittleEndian.AppendUint16(hdr, 1)  // PCM
	hdr = binary.LittleEndian.AppendUint16(hdr, channels)
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(rate))
	hdr = binary.LittleEndian.AppendUint32(hdr, uint32(rate*channels*bits/8)) // byte rate
	hdr = binary.LittleEndian.AppendUint16(hdr, channels*bits/8)              // block align
	hdr = binary.LittleEndian.AppendUint16(hdr, bits)
	hdr = append(hdr, "data"...)
	hdr = binary.LittleEndian.AppendUint32(hdr, data)
	if _, err := bw.Write(hdr); err != nil {
		return fmt.Errorf("sound: write WAV: %w", err)
	}
	var b [2]byte
	for _, s := range samples {
		v := math.Round(float64(max(-1, min(1, s))) * math.MaxInt16)
		binary.LittleEndian.PutUint16(b[:], uint16(int16(v)))
		if _, err := bw.Write(b[:]); err != nil {
			return fmt.Errorf("sound: write WAV: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sound: write WAV: %w", err)
	}
	return nil
}
