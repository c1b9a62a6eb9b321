package alarms

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Limits are a rule's limits: Limit for a single-limit rule, Low and High
// for a band; unused fields are NaN.
type Limits struct {
	Limit, Low, High float64
}

// Entry is one line of the alarm log: a transition, an operator action
// (acknowledge, pause: Reason operator) or a setting change (Reason
// limit_changed or baseline_set, whose State is the alarm's unchanged
// state).
type Entry struct {
	Transition
	// Limits are the rule's limits in force after the entry. For a
	// limit_changed entry they are the limits the operator set, in the
	// profile's unit before any scaling (by temperature, the flow index
	// target) or gate override: what a replay sets again.
	Limits Limits
	// Previous are the limits set before a limit_changed entry; NaN
	// otherwise.
	Previous Limits
	// Baseline is a fall_pct rule's baseline after the entry, PrevBaseline
	// the one a baseline_set entry replaced; NaN when there is none.
	Baseline, PrevBaseline float64
}

// IsTransition reports whether the entry changed an alarm's state (all
// entries but limit and baseline changes).
func (e *Entry) IsTransition() bool {
	return e.Reason != ReasonLimitChanged && e.Reason != ReasonBaselineSet
}

// Logger receives the alarm log. The engine calls LogAlarm on its own
// goroutine for every transition and operator action, in order; LogAlarm
// must not block (a recorder queues the entry and writes it elsewhere).
//
// The case record's implementation, durable and kept across restarts, is
// the recorder's; this package provides MemoryLog for the GUI and JSONLines
// for headless runs.
type Logger interface {
	LogAlarm(Entry)
}

// Tee is a Logger that passes each entry to all of its loggers in order.
type Tee []Logger

// LogAlarm implements Logger.
func (t Tee) LogAlarm(e Entry) {
	for _, l := range t {
		l.LogAlarm(e)
	}
}

// MemoryLog keeps the newest entries in a fixed ring, for the GUI's alarm
// list. It is safe for concurrent use: the engine's goroutine writes, the
// GUI reads.
type MemoryLog struct {
	mu    sync.Mutex
	ring  []Entry
	next  int
	full  bool
	total uint64
}

// NewMemoryLog returns a log that keeps the newest capacity entries.
func NewMemoryLog(capacity int) *MemoryLog {
	if capacity < 1 {
		capacity = 1
	}
	return &MemoryLog{ring: make([]Entry, capacity)}
}

// LogAlarm implements Logger; it never blocks on I/O and never allocates.
func (l *MemoryLog) LogAlarm(e Entry) {
	l.mu.Lock()
	l.ring[l.next] = e
	l.next++
	if l.next == len(l.ring) {
		l.next, l.full = 0, true
	}
	l.total++
	l.mu.Unlock()
}

// Entries appends the kept entries to dst, oldest first.
func (l *MemoryLog) Entries(dst []Entry) []Entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.full {
		dst = append(dst, l.ring[l.next:]...)
	}
	return append(dst, l.ring[:l.next]...)
}

// Total returns how many entries were ever logged; Total minus the number
// kept is how many were pushed out.
func (l *MemoryLog) Total() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// JSONLines writes the headless contract: one JSON object per transition,
//
//	{"time":"2026-03-01T08:00:12Z","alarm":"map_low","priority":"medium","state":"active","value":47,"limit":50}
//
// with state one of pending, active, acknowledged, audio_paused, cleared,
// time in RFC 3339 UTC, and value and limit null when there is none. Limit
// and baseline changes are not transitions and are not written. It writes
// synchronously to w: meant for replays and tests, not for the live
// console's engine goroutine. Not safe for concurrent use; the first write
// error sticks and stops output.
type JSONLines struct {
	w   io.Writer
	buf []byte
	err error
}

// NewJSONLines returns a JSONLines writing to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w, buf: make([]byte, 0, 256)} }

// LogAlarm implements Logger.
func (j *JSONLines) LogAlarm(e Entry) {
	if j.err != nil || !e.IsTransition() {
		return
	}
	j.buf = AppendJSON(j.buf[:0], &e.Transition)
	_, j.err = j.w.Write(j.buf)
}

// Err returns the first write error.
func (j *JSONLines) Err() error { return j.err }

// AppendJSON appends the contract's JSON line for tr, newline included.
func AppendJSON(dst []byte, tr *Transition) []byte {
	dst = append(dst, `{"time":"`...)
	dst = time.Unix(0, tr.Time).UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","alarm":`...)
	dst = appendJSONString(dst, tr.Alarm)
	dst = append(dst, `,"priority":"`...)
	dst = append(dst, tr.Priority.String()...)
	dst = append(dst, `","state":"`...)
	dst = append(dst, tr.State.TransitionName()...)
	dst = append(dst, `","value":`...)
	dst = appendJSONNumber(dst, tr.Value)
	dst = append(dst, `,"limit":`...)
	dst = appendJSONNumber(dst, tr.Limit)
	return append(dst, "}\n"...)
}

func appendJSONNumber(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(dst, "null"...)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(dst, '"')
}

// jsonLine is the contract's line as encoding/json sees it.
type jsonLine struct {
	Time     time.Time `json:"time"`
	Alarm    string    `json:"alarm"`
	Priority Priority  `json:"priority"`
	State    string    `json:"state"`
	Value    *float64  `json:"value"`
	Limit    *float64  `json:"limit"`
}

// ReadJSONLines decodes the headless contract written by JSONLines, for
// tests and tools that compare a replay's alarms. Index and Reason are not
// part of the contract: they come back as -1 and zero.
func ReadJSONLines(r io.Reader) ([]Transition, error) {
	var out []Transition
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var l jsonLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return out, fmt.Errorf("alarms: JSON line %d: %w", n, err)
		}
		st, err := ParseTransitionName(l.State)
		if err != nil {
			return out, fmt.Errorf("alarms: JSON line %d: %w", n, err)
		}
		tr := Transition{Time: l.Time.UnixNano(), Alarm: l.Alarm, Index: -1, State: st, Priority: l.Priority, Value: math.NaN(), Limit: math.NaN()}
		if l.Value != nil {
			tr.Value = *l.Value
		}
		if l.Limit != nil {
			tr.Limit = *l.Limit
		}
		out = append(out, tr)
	}
	return out, sc.Err()
}
