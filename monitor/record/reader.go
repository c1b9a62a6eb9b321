package record

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"
	"github.com/pumpside/pumpside/monitor/channel"
)

// LineError is a line of a case file that does not follow the format.
// The Reader reports it and goes on with the next line.
type LineError struct {
	// Line is the 1-based line number, Offset the byte offset of its start.
	Line   int64
	Offset int64
	Err    error
	// Text is the start of the line (at most 120 bytes), for the message.
	Text string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("line %d: %v: %q", e.Line, e.Err, e.Text)
}

func (e *LineError) Unwrap() []error { return []error{ErrFormat, e.Err} }

// KV is a tag of an entry.
type KV struct{ Key, Value []byte }

// FieldValue is a field of an entry.
type FieldValue struct {
	Key   []byte
	Value lineprotocol.Value
}

// Entry is one line of a case file. Its slices are valid until the next
// call of Reader.Next.
type Entry struct {
	Line, Offset int64
	Measurement  []byte
	Tags         []KV
	Fields       []FieldValue
	// Time is Unix ns.
	Time int64
}

// Kind says which kind of line the entry is.
type Kind uint8

// The kinds of lines.
const (
	KindSamples  Kind = iota // a channel group: samples
	KindMeta                 // measurement case
	KindEvent                // measurement event
	KindAlarm                // measurement alarm
	KindBookmark             // measurement bookmark
	KindLive                 // measurement live: the console's live state
)

// Kind returns the entry's kind.
func (e *Entry) Kind() Kind {
	switch string(e.Measurement) {
	case MeasurementCase:
		return KindMeta
	case MeasurementEvent:
		return KindEvent
	case MeasurementAlarm:
		return KindAlarm
	case MeasurementBookmark:
		return KindBookmark
	case MeasurementLive:
		return KindLive
	}
	return KindSamples
}

// Tag returns the value of a tag, or "".
func (e *Entry) Tag(key string) string {
	for _, t := range e.Tags {
		if string(t.Key) == key {
			return string(t.Value)
		}
	}
	return ""
}

// Field returns a field's value.
func (e *Entry) Field(key string) (lineprotocol.Value, bool) {
	for _, f := range e.Fields {
		if string(f.Key) == key {
			return f.Value, true
		}
	}
	return lineprotocol.Value{}, false
}

// Str returns a string field, or "".
func (e *Entry) Str(key string) string {
	if v, ok := e.Field(key); ok && v.Kind() == lineprotocol.String {
		return v.StringV()
	}
	return ""
}

// Num returns a numeric field (float, integer or unsigned), or NaN.
func (e *Entry) Num(key string) float64 {
	if v, ok := e.Field(key); ok {
		return numeric(v)
	}
	return math.NaN()
}

func numeric(v lineprotocol.Value) float64 {
	switch v.Kind() {
	case lineprotocol.Float:
		return v.FloatV()
	case lineprotocol.Int:
		return float64(v.IntV())
	case lineprotocol.Uint:
		return float64(v.UintV())
	}
	return math.NaN()
}

// ChannelSample is a sample as a case file holds it: by names, not IDs.
type ChannelSample struct {
	// Channel is "group.field".
	Channel string
	Source  string
	Time    int64
	// Value is NaN when the line carries only a quality.
	Value   float64
	Quality channel.Quality
}

// Samples appends the samples of a channel-group entry to dst: one per
// channel field, with its quality from the field's _q companion.
func (e *Entry) Samples(dst []ChannelSample) []ChannelSample {
	if e.Kind() != KindSamples {
		return dst
	}
	src := e.Tag(TagSource)
	for _, f := range e.Fields {
		if bytes.HasSuffix(f.Key, []byte(QualitySuffix)) {
			base := f.Key[:len(f.Key)-len(QualitySuffix)]
			if _, ok := e.Field(string(base)); ok {
				continue // reported with its value
			}
			q, _ := channel.ParseQuality(f.Value.StringV())
			dst = append(dst, ChannelSample{Channel: string(e.Measurement) + "." + string(base), Source: src, Time: e.Time, Value: math.NaN(), Quality: q})
			continue
		}
		s := ChannelSample{Channel: string(e.Measurement) + "." + string(f.Key), Source: src, Time: e.Time, Value: numeric(f.Value)}
		if qv, ok := e.Field(string(f.Key) + QualitySuffix); ok {
			s.Quality, _ = channel.ParseQuality(qv.StringV())
		}
		dst = append(dst, s)
	}
	return dst
}

// Reader reads a case file line by line: a bad line is reported (OnBadLine)
// and skipped, never the end of the reading. Not safe for concurrent use.
type Reader struct {
	// OnBadLine, if set, is called with every bad line, in order.
	OnBadLine func(*LineError)
	// BadLines counts them.
	BadLines int

	br     *bufio.Reader
	line   int64
	offset int64
	long   []byte
	e      Entry
	err    error
}

// NewReader reads a case file from r.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// maxLine bounds one line: a longer one is bad (and skipped).
const maxLine = 1 << 20

// Next advances to the next good entry and reports whether there is one.
// At the end, Err tells an I/O error from the end of the file.
func (r *Reader) Next() bool {
	for r.err == nil {
		line, err := r.readLine()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.err = fmt.Errorf("record: read line %d: %w", r.line+1, err)
			} else {
				r.err = io.EOF
			}
			if t := bytes.TrimRight(line, "\r\n"); len(bytes.TrimSpace(t)) == 0 || t[0] == '#' {
				return false
			}
			// A last line without its newline: torn (the writer always ends
			// lines), reported as bad.
			r.line++
			r.bad(line, errors.New("last line has no newline (torn write)"))
			return false
		}
		r.line++
		start := r.offset
		r.offset += int64(len(line))
		body := bytes.TrimRight(line, "\r\n")
		if len(bytes.TrimSpace(body)) == 0 || body[0] == '#' {
			continue
		}
		if len(line) > maxLine {
			r.badAt(start, body, fmt.Errorf("line longer than %d bytes", maxLine))
			continue
		}
		if err := r.decode(body); err != nil {
			r.badAt(start, body, err)
			continue
		}
		r.e.Line, r.e.Offset = r.line, start
		return true
	}
	return false
}

// readLine returns the next line with its newline.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line, err
	}
	r.long = append(r.long[:0], line...)
	for errors.Is(err, bufio.ErrBufferFull) {
		line, err = r.br.ReadSlice('\n')
		if len(r.long) <= maxLine {
			r.long = append(r.long, line...)
		}
	}
	return r.long, err
}

func (r *Reader) bad(line []byte, err error) { r.badAt(r.offset, line, err) }

func (r *Reader) badAt(off int64, line []byte, err error) {
	r.BadLines++
	if r.OnBadLine == nil {
		return
	}
	text := line
	if len(text) > 120 {
		text = text[:120]
	}
	var de *lineprotocol.DecodeError
	if errors.As(err, &de) {
		err = fmt.Errorf("column %d: %w", de.Column, de.Err)
	}
	r.OnBadLine(&LineError{Line: r.line, Offset: off, Err: err, Text: string(bytes.ToValidUTF8(text, []byte("\uFFFD")))})
}

// Entry returns the current entry, valid until the next call of Next.
func (r *Reader) Entry() *Entry { return &r.e }

// Line returns the number of the last line read.
func (r *Reader) Line() int64 { return r.line }

// Offset returns the byte offset just past the last whole line read (a
// torn last line, without its newline, is not counted).
func (r *Reader) Offset() int64 { return r.offset }

// Err returns the I/O error that ended the reading, or nil at the end of
// the file.
func (r *Reader) Err() error {
	if errors.Is(r.err, io.EOF) {
		return nil
	}
	return r.err
}

var errNoTime = errors.New("no timestamp (case files need one on every line)")

// decode parses one line into r.e and checks it against the format.
func (r *Reader) decode(body []byte) error {
	d := lineprotocol.NewDecoderWithBytes(body)
	if !d.Next() {
		return errors.New("empty line")
	}
	e := &r.e
	e.Tags, e.Fields = e.Tags[:0], e.Fields[:0]
	m, err := d.Measurement()
	if err != nil {
		return err
	}
	e.Measurement = m
	for {
		k, v, err := d.NextTag()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
		e.Tags = append(e.Tags, KV{k, v})
	}
	for {
		k, v, err := d.NextField()
		if err != nil {
			return err
		}
		if k == nil {
			break
		}
		e.Fields = append(e.Fields, FieldValue{k, v})
	}
	t, err := d.Time(lineprotocol.Nanosecond, time.Time{})
	if err != nil {
		return err
	}
	if t.IsZero() {
		return errNoTime
	}
	e.Time = t.UnixNano()
	if d.Next() {
		return errors.New("more than one entry on the line")
	}
	return e.check()
}

// check applies the case format's rules beyond line protocol.
func (e *Entry) check() error {
	switch e.Kind() {
	case KindEvent:
		if e.Tag(TagKind) == "" {
			return errors.New("event without a kind tag")
		}
		if v, ok := e.Field("text"); !ok || v.Kind() != lineprotocol.String {
			return errors.New("event without a text string field")
		}
	case KindAlarm:
		if e.Tag(TagAlarm) == "" {
			return errors.New("alarm without an alarm tag")
		}
		if e.Str("state") == "" || e.Str("priority") == "" {
			return errors.New("alarm without state and priority string fields")
		}
	case KindBookmark:
		if v, ok := e.Field("text"); !ok || v.Kind() != lineprotocol.String {
			return errors.New("bookmark without a text string field")
		}
	case KindLive:
		return e.checkLive()
	case KindSamples:
		for _, f := range e.Fields {
			if bytes.HasSuffix(f.Key, []byte(QualitySuffix)) {
				if f.Value.Kind() != lineprotocol.String {
					return fmt.Errorf("field %s: a quality is a string (ok, stale, ...)", f.Key)
				}
				if _, err := channel.ParseQuality(f.Value.StringV()); err != nil {
					return fmt.Errorf("field %s: %w", f.Key, err)
				}
				continue
			}
			if math.IsNaN(numeric(f.Value)) {
				return fmt.Errorf("field %s of a channel group is not a number", f.Key)
			}
		}
	}
	return nil
}
