package hl7out

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Seeds of FuzzParseAck, laid out as HL7 v2.5.1 chapter 2 shows an
// acknowledgement (MSH, MSA, ERR), also committed in testdata/fuzz.
var ackSeeds = []string{
	"MSH|^~\\&|LABADT|MCM|ADT1|MCM|198808181126|SECURITY|ACK^A01^ACK|MSG00001|P|2.5.1\rMSA|AA|MSG00001\r",
	"MSH|^~\\&|EMR|HOSP|PUMPSIDE|THEATRES|20260301100001||ACK^R01^ACK|A1|P|2.5.1\rMSA|AE|PSD0001|Patient not found\rERR||PID^1^3|204^Unknown key identifier^HL70357|E||||Patient H123 unknown\r",
	"MSH|^~\\&|EMR|HOSP|||20260301||ACK|A2|P|2.3\rMSA|AR|PSD0002\rERR|PID^1^3^^1\r",
	"MSH|^~\\&|X\rMSA|CA|C1\r",
	"MSH|^~\\&\r",
	"MSA|AA|X\r",
	"MSH#^~\\&#A\rMSA#AA#C#text \\F\\ with \\S\\ escapes\r",
}

func FuzzParseAck(f *testing.F) {
	for _, s := range ackSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ack, err := ParseAck(b)
		if err != nil {
			return
		}
		switch ack.Code {
		case "AA", "AE", "AR", "CA", "CE", "CR":
		default:
			t.Fatalf("accepted code %q", ack.Code)
		}
		if len(ack.Text) > 2000 || strings.ContainsAny(ack.Text, "\r\n\x00") {
			t.Fatalf("text %q", ack.Text)
		}
	})
}

func FuzzReadBlock(f *testing.F) {
	for _, s := range ackSeeds {
		f.Add([]byte("\x0b" + s + "\x1c\r"))
	}
	f.Add([]byte("\r\n\x0bMSH|x\x1c\r\x0bsecond\x1c\r"))
	f.Add([]byte("junk\x0bMSH\x1c\r"))
	f.Add([]byte("\x0bcut"))
	f.Add([]byte("\x0bno cr\x1cX"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rd := bufio.NewReaderSize(bytes.NewReader(b), 16)
		for range 4 {
			blk, err := readBlock(rd, 64)
			if err != nil {
				return
			}
			if len(blk) > 64 || bytes.IndexByte(blk, mllpEnd) >= 0 {
				t.Fatalf("block %q", blk)
			}
		}
	})
}

// FuzzEscape: whatever the text, its escaped form holds no delimiter and
// no line break, and every escape character opens a known sequence.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"Heparin 25000 IU", "a|b^c~d\\e&f", "x\r\ny", "µg", "\\.br\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := escape(s)
		if strings.ContainsAny(e, "|^~&\r\n") {
			t.Fatalf("escape(%q) = %q", s, e)
		}
		for rest := e; ; {
			i := strings.IndexByte(rest, '\\')
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i+1:], '\\')
			if j < 0 {
				t.Fatalf("unclosed escape in %q", e)
			}
			switch rest[i+1 : i+1+j] {
			case "F", "S", "R", "E", "T", ".br":
			default:
				t.Fatalf("unknown escape %q in %q", rest[i+1:i+1+j], e)
			}
			rest = rest[i+j+2:]
		}
		if utf8.ValidString(s) && !utf8.ValidString(e) {
			t.Fatalf("escape broke UTF-8: %q", e)
		}
	})
}

// FuzzOutboxJournal: whatever the journal holds, OpenOutbox either refuses
// it with an error or opens a consistent outbox (never a panic); a message
// the journal queues is pending until an acked line names it.
func FuzzOutboxJournal(f *testing.F) {
	for _, s := range []string{
		`{"op":"queued","seq":1,"at":"2026-03-01T10:00:00Z","control_id":"PSDA","version":"v1","status":"F","file":"000001-PSDA.hl7"}` + "\n",
		`{"op":"queued","seq":1,"at":"2026-03-01T10:00:00Z","control_id":"PSDA","version":"v1","status":"F","file":"000001-PSDA.hl7"}` + "\n" +
			`{"op":"nak","seq":1,"at":"2026-03-01T10:00:01Z","code":"AE","text":"x"}` + "\n" +
			`{"op":"acked","seq":1,"at":"2026-03-01T10:00:02Z","code":"AA"}` + "\n",
		`{"op":"queued","seq":1,"at":"2026-03-01T10:00:00Z","control_id":"PSDA","version":"v1","status":"F","file":"000001-PSDA.hl7"}` + "\n" + `{"op":"acked","se`,
		`{"op":"acked","seq":7}` + "\n",
		"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, journal []byte) {
		casePath := filepath.Join(t.TempDir(), "C.case")
		dir := OutboxDir(casePath)
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, journalName), journal, 0o600)
		os.WriteFile(filepath.Join(dir, "000001-PSDA.hl7"), []byte("MSH|^~\\&|X\r"), 0o600)
		o, err := OpenOutbox(casePath)
		if err != nil {
			return
		}
		defer o.Close()
		seen := map[int]bool{}
		for _, e := range o.Entries() {
			if seen[e.Seq] {
				t.Fatalf("seq %d twice", e.Seq)
			}
			seen[e.Seq] = true
			if e.Status != Final && e.Status != Corrected && e.Status != Preliminary {
				t.Fatalf("status %q", e.Status)
			}
			if e.State == Pending {
				if _, err := o.Message(e); err != nil {
					t.Fatalf("pending entry without its message: %v", err)
				}
			}
		}
		// The outbox stays usable: a new version can be queued.
		if _, _, err := o.Queue("P-1", "fuzz-version", true, t0, fakeBuild("OBX|1")); err != nil && !strings.Contains(err.Error(), "already used") {
			t.Fatalf("queue after open: %v", err)
		}
	})
}
