package hl7out

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// OutboxSuffix names a case file's outbox directory: CASE.case.hl7out.
const OutboxSuffix = ".hl7out"

// The outbox's files (docs/integration.md, "The outbox").
const (
	journalName = "journal.jsonl"
	lockName    = "lock"
)

// ErrBusy is returned by OpenOutbox when another process holds the
// outbox.
var ErrBusy = errors.New("hl7out: another Pumpside process holds this outbox")

// State is where an outbox entry stands.
type State uint8

// The states of an entry. Pending until the engine acknowledges it with
// AA; then Acknowledged for good.
const (
	Pending State = iota
	Acknowledged
)

func (s State) String() string {
	if s == Acknowledged {
		return "acknowledged"
	}
	return "pending"
}

// Entry is one message of the outbox: one version of the record.
type Entry struct {
	Seq       int
	ControlID string
	Version   string
	Status    Status
	Queued    time.Time
	State     State
	// AckedAt is when the AA was recorded.
	AckedAt time.Time
	// NAKs counts AE/AR answers; LastNAK is the last one, with the
	// engine's text.
	NAKs    int
	LastNAK string
	file    string
}

// journalLine is one line of the journal: the durable history of the
// outbox. Ops: "queued", "acked", "nak".
type journalLine struct {
	Op        string    `json:"op"`
	Seq       int       `json:"seq"`
	At        time.Time `json:"at"`
	ControlID string    `json:"control_id,omitempty"`
	Version   string    `json:"version,omitempty"`
	Status    string    `json:"status,omitempty"`
	File      string    `json:"file,omitempty"`
	Code      string    `json:"code,omitempty"`
	Text      string    `json:"text,omitempty"`
}

// Outbox is the durable queue of one case's messages, a directory beside
// the case file (CASE.case.hl7out, owner-only like the case file). Each
// message is written to its own file and fsynced before the journal line
// that queues it, and every acknowledgement is a journal line fsynced
// before Acked returns: after a crash at any moment, every message not
// acknowledged is still there, and none acknowledged is sent again.
//
// One process at a time holds an Outbox (a lock file); its methods are
// safe for concurrent use.
type Outbox struct {
	dir     string
	lock    *os.File
	mu      sync.Mutex
	journal *os.File
	entries []*Entry
	// Repaired says what OpenOutbox had to mend: a torn last journal line,
	// message files no journal line names.
	Repaired []string
}

// OutboxDir is the outbox directory of a case file.
func OutboxDir(casePath string) string { return casePath + OutboxSuffix }

// OpenOutbox opens (creating it if needed) the outbox of a case file and
// reads its journal. A torn last line (a crash while appending) is cut;
// message files that no journal line queues (a crash between writing the
// file and queueing it) are removed: their Queue never returned.
func OpenOutbox(casePath string) (*Outbox, error) {
	dir := OutboxDir(casePath)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("hl7out: outbox: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("hl7out: outbox: %w", err)
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		return nil, err
	}
	o := &Outbox{dir: dir, lock: lock}
	if err := o.load(); err != nil {
		unlockFile(lock)
		lock.Close()
		return nil, err
	}
	return o, nil
}

func (o *Outbox) load() error {
	path := filepath.Join(o.dir, journalName)
	j, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	data, err := io.ReadAll(j)
	if err != nil {
		j.Close()
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	good := 0 // bytes of whole lines
	bySeq := map[int]*Entry{}
	lineNo := 0
	for len(data[good:]) > 0 {
		rest := data[good:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			o.Repaired = append(o.Repaired, fmt.Sprintf("journal: cut a torn last line of %d bytes", len(rest)))
			break
		}
		lineNo++
		var l journalLine
		if err := json.Unmarshal(rest[:i], &l); err != nil {
			j.Close()
			return fmt.Errorf("hl7out: outbox %s: line %d: %w", path, lineNo, err)
		}
		good += i + 1
		switch l.Op {
		case "queued":
			if bySeq[l.Seq] != nil || (l.Status != "F" && l.Status != "C" && l.Status != "P") || !validFileName(l.File) {
				j.Close()
				return fmt.Errorf("hl7out: outbox %s: line %d: bad queued line", path, lineNo)
			}
			e := &Entry{Seq: l.Seq, ControlID: l.ControlID, Version: l.Version, Status: Status(l.Status[0]), Queued: l.At, file: l.File}
			bySeq[l.Seq] = e
			o.entries = append(o.entries, e)
		case "acked", "nak":
			e := bySeq[l.Seq]
			if e == nil {
				j.Close()
				return fmt.Errorf("hl7out: outbox %s: line %d: %s of unknown entry %d", path, lineNo, l.Op, l.Seq)
			}
			if l.Op == "acked" {
				e.State, e.AckedAt = Acknowledged, l.At
			} else {
				e.NAKs++
				e.LastNAK = strings.TrimSpace(l.Code + ": " + l.Text)
			}
		default:
			j.Close()
			return fmt.Errorf("hl7out: outbox %s: line %d: unknown op %q", path, lineNo, l.Op)
		}
	}
	if good < len(data) {
		if err := j.Truncate(int64(good)); err != nil {
			j.Close()
			return fmt.Errorf("hl7out: outbox: %w", err)
		}
	}
	if _, err := j.Seek(int64(good), io.SeekStart); err != nil {
		j.Close()
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	o.journal = j
	// Files the journal does not name: half-done queues and temporary
	// files; a queued entry's file must be there.
	named := map[string]bool{}
	for _, e := range o.entries {
		named[e.file] = true
		if _, err := os.Stat(filepath.Join(o.dir, e.file)); err != nil && e.State == Pending {
			return fmt.Errorf("hl7out: outbox %s: entry %d (%s): message file: %w", o.dir, e.Seq, e.ControlID, err)
		}
	}
	des, err := os.ReadDir(o.dir)
	if err != nil {
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	for _, de := range des {
		n := de.Name()
		if n == journalName || n == lockName || named[n] {
			continue
		}
		if strings.HasSuffix(n, ".hl7") || strings.HasPrefix(n, ".tmp-") {
			if err := os.Remove(filepath.Join(o.dir, n)); err != nil {
				return fmt.Errorf("hl7out: outbox: %w", err)
			}
			o.Repaired = append(o.Repaired, "removed "+n+", which no journal line queued")
		}
	}
	return nil
}

// Close releases the outbox.
func (o *Outbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	err := o.journal.Close()
	unlockFile(o.lock)
	if cerr := o.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

// Dir is the outbox's directory.
func (o *Outbox) Dir() string { return o.dir }

// Entries returns every entry, oldest first.
func (o *Outbox) Entries() []Entry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Entry, len(o.entries))
	for i, e := range o.entries {
		out[i] = *e
	}
	return out
}

// Pending returns the entries not yet acknowledged, oldest first: the
// order they must be sent in (a correction never overtakes what it
// corrects).
func (o *Outbox) Pending() []Entry {
	var out []Entry
	for _, e := range o.Entries() {
		if e.State == Pending {
			out = append(out, e)
		}
	}
	return out
}

// ControlID is the control ID (MSH-10) of a version of a record: "PSD" and
// 17 hex digits of SHA-256(record ID, version). The same version always
// has the same one, so an engine that drops duplicate control IDs drops a
// resend; every other version has another.
func ControlID(recordID, version string) string {
	h := sha256.Sum256([]byte(recordID + "\x00" + version))
	return "PSD" + strings.ToUpper(hex.EncodeToString(h[:]))[:17]
}

// Queue adds the message of a version of the record, unless that version
// is already in the outbox (queued, sent or acknowledged: a version is
// never sent twice once acknowledged, and never queued twice). A version
// not signed off is Preliminary; the first signed one Final; a signed one
// after a Final or Corrected one Corrected. build makes the message for the
// header Queue chooses. It returns the entry and whether it was added.
func (o *Outbox) Queue(recordID, version string, signed bool, now time.Time, build func(Header) ([]byte, error)) (Entry, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range o.entries {
		if e.Version == version {
			return *e, false, nil
		}
	}
	seq := 1
	if n := len(o.entries); n > 0 {
		seq = o.entries[n-1].Seq + 1
	}
	h := Header{ControlID: ControlID(recordID, version), Time: now.UTC(), Status: Preliminary}
	if signed {
		h.Status = Final
		for _, e := range o.entries {
			if e.Status != Preliminary {
				h.Status = Corrected
			}
		}
	}
	for _, e := range o.entries {
		if e.ControlID == h.ControlID {
			return Entry{}, false, fmt.Errorf("hl7out: control ID %s already used in this outbox", h.ControlID)
		}
	}
	msg, err := build(h)
	if err != nil {
		return Entry{}, false, err
	}
	e := &Entry{Seq: seq, ControlID: h.ControlID, Version: version, Status: h.Status, Queued: h.Time,
		file: fmt.Sprintf("%06d-%s.hl7", seq, h.ControlID)}
	if err := o.writeFile(e.file, msg); err != nil {
		return Entry{}, false, err
	}
	if err := o.append(journalLine{Op: "queued", Seq: seq, At: h.Time, ControlID: e.ControlID, Version: version, Status: string(e.Status), File: e.file}); err != nil {
		os.Remove(filepath.Join(o.dir, e.file))
		return Entry{}, false, err
	}
	o.entries = append(o.entries, e)
	return *e, true, nil
}

// Message returns an entry's message as queued.
func (o *Outbox) Message(e Entry) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(o.dir, e.file))
	if err != nil {
		return nil, fmt.Errorf("hl7out: outbox: %w", err)
	}
	return b, nil
}

// Acked records the engine's AA for entry seq; once it returns, the entry
// is never sent again.
func (o *Outbox) Acked(seq int, ack Ack, now time.Time) error {
	return o.mark(seq, journalLine{Op: "acked", Seq: seq, At: now.UTC(), Code: ack.Code, Text: ack.Text})
}

// NAKed records an AE or AR for entry seq with the engine's text.
func (o *Outbox) NAKed(seq int, ack Ack, now time.Time) error {
	return o.mark(seq, journalLine{Op: "nak", Seq: seq, At: now.UTC(), Code: ack.Code, Text: ack.Text})
}

func (o *Outbox) mark(seq int, l journalLine) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	i := slices.IndexFunc(o.entries, func(e *Entry) bool { return e.Seq == seq })
	if i < 0 {
		return fmt.Errorf("hl7out: outbox: no entry %d", seq)
	}
	if err := o.append(l); err != nil {
		return err
	}
	e := o.entries[i]
	if l.Op == "acked" {
		e.State, e.AckedAt = Acknowledged, l.At
	} else {
		e.NAKs++
		e.LastNAK = strings.TrimSpace(l.Code + ": " + l.Text)
	}
	return nil
}

// append writes one journal line and fsyncs it.
func (o *Outbox) append(l journalLine) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if _, err := o.journal.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("hl7out: outbox journal: %w", err)
	}
	if err := o.journal.Sync(); err != nil {
		return fmt.Errorf("hl7out: outbox journal: %w", err)
	}
	return nil
}

// writeFile writes a message file whole or not at all: a temporary file,
// fsynced, renamed, and the directory fsynced.
func (o *Outbox) writeFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(o.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(o.dir, name)); err != nil {
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	return syncDir(o.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("hl7out: outbox: %w", err)
	}
	return nil
}

// OutboxStatus reads an outbox's entries without taking it (for a status
// display while another process sends): nil when there is none.
func OutboxStatus(casePath string) ([]Entry, error) {
	path := filepath.Join(OutboxDir(casePath), journalName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*Entry
	bySeq := map[int]*Entry{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l journalLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue // a torn last line
		}
		switch e := bySeq[l.Seq]; l.Op {
		case "queued":
			if e == nil && len(l.Status) == 1 {
				e = &Entry{Seq: l.Seq, ControlID: l.ControlID, Version: l.Version, Status: Status(l.Status[0]), Queued: l.At, file: l.File}
				bySeq[l.Seq] = e
				out = append(out, e)
			}
		case "acked":
			if e != nil {
				e.State, e.AckedAt = Acknowledged, l.At
			}
		case "nak":
			if e != nil {
				e.NAKs++
				e.LastNAK = strings.TrimSpace(l.Code + ": " + l.Text)
			}
		}
	}
	res := make([]Entry, len(out))
	for i, e := range out {
		res[i] = *e
	}
	return res, sc.Err()
}

// validFileName: a message file of this outbox, never a path elsewhere
// (a damaged journal must not make Message read another file).
func validFileName(name string) bool {
	if len(name) < 12 || !strings.HasSuffix(name, ".hl7") || name != filepath.Base(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return !strings.Contains(name, "..")
}
