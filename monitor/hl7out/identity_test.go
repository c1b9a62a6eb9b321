package hl7out

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pumpside/pumpside/monitor/exchange"
	"github.com/pumpside/pumpside/monitor/report"
)

// The known case's identifiers (invented): its ident_* fields, the case
// tag, and a note naming the patient.
var identifiers = []string{"Jane Doe", "Jane", "H1234567", "C-2026-0301-R"}

// wireCapture is a TCP server that keeps every byte it receives and
// answers each MLLP block with a minimal AA: what left the machine,
// exactly.
type wireCapture struct {
	l    net.Listener
	data chan []byte
}

func startCapture(t *testing.T) *wireCapture {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wireCapture{l: l, data: make(chan []byte, 16)}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				rd := bufio.NewReader(c)
				for {
					b, err := rd.ReadBytes(mllpEnd)
					if err != nil {
						return
					}
					cr, _ := rd.ReadByte()
					w.data <- append(b, cr)
					ctrl := mshField(bytes.TrimPrefix(b, []byte{mllpStart}), 10)
					c.Write([]byte("\x0bMSH|^~\\&|CAP||||||ACK|1|P|2.5.1\rMSA|AA|" + ctrl + "\r\x1c\r"))
				}
			}()
		}
	}()
	return w
}

// pdfTextOf extracts the text of PDF bytes with pdftotext (poppler), so
// that an identifier is looked for in what a reader of the PDF sees, not
// in compressed streams.
func pdfTextOf(t *testing.T, pdf []byte) string {
	t.Helper()
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext not found (poppler-utils: .ci/install-deps test)")
		}
		t.Skip("pdftotext not found: install poppler-utils")
	}
	in := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// edPayload finds the base64 PDF of an ED OBX in raw message bytes.
func edPayload(t *testing.T, raw []byte) []byte {
	t.Helper()
	_, after, ok := bytes.Cut(raw, []byte("^AP^PDF^Base64^"))
	if !ok {
		t.Fatal("no ED PDF in the message")
	}
	end := bytes.IndexAny(after, "|\r")
	pdf, err := base64.StdEncoding.DecodeString(string(after[:end]))
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}

// TestNoIdentifierLeaves: with identified sending off (the default), no
// identifier of the case is in the bytes that reach the engine, nor in
// the text of the PDF they carry; with it on, they are (so the check can
// see them).
func TestNoIdentifierLeaves(t *testing.T) {
	for _, identified := range []bool{false, true} {
		w := startCapture(t)
		c := loadCase(t, knownCase)
		priv := report.Privacy{Identify: identified, Secret: []byte(testSecret)}
		s, err := report.Summarize(c, report.DefaultSettings(), priv)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := exchange.Build(c, s, priv, exchange.Options{Identified: identified})
		if err != nil {
			t.Fatal(err)
		}
		msg, err := Build(rec, testConfig, testHeader)
		if err != nil {
			t.Fatal(err)
		}
		cl := &Client{Address: w.l.Addr().String()}
		if ack, err := cl.Send(t.Context(), msg); err != nil || !ack.Accepted() {
			t.Fatal(ack, err)
		}
		cl.Close()
		var raw []byte
		select {
		case raw = <-w.data:
		case <-time.After(5 * time.Second):
			t.Fatal("nothing captured")
		}
		pdf := edPayload(t, raw)
		text := pdfTextOf(t, pdf)
		// The base64 is looked into as the PDF's text.
		raw = bytes.Replace(raw, []byte(base64.StdEncoding.EncodeToString(pdf)), nil, 1)
		for _, id := range identifiers {
			inWire := bytes.Contains(bytes.ToLower(raw), []byte(strings.ToLower(id)))
			inPDF := strings.Contains(strings.ToLower(text), strings.ToLower(id))
			if !identified && (inWire || inPDF) {
				t.Errorf("pseudonymous: %q left the machine (message %v, PDF %v)", id, inWire, inPDF)
			}
		}
		if identified {
			pid := segments(raw[1:])[1]
			if pid != "PID|1||H1234567^^^HOSP^MR||Jane Doe||||M" && !strings.HasPrefix(pid, "PID|1||H1234567^^^HOSP^MR||Jane Doe|") {
				t.Errorf("identified PID %q", pid)
			}
			if !strings.Contains(text, "H1234567") {
				t.Error("identified PDF lacks the hospital number")
			}
		}
	}
}

// TestIdentifiedNeedsSiteSetting: asking for identified sending where the
// site has not enabled it is refused; an identified record without a
// hospital number is refused too.
func TestIdentifiedNeedsSiteSetting(t *testing.T) {
	if _, err := exchange.Identified(false, true); err == nil {
		t.Fatal("identified sending without the site setting was not refused")
	}
	if id, err := exchange.Identified(false, false); err != nil || id {
		t.Fatalf("default: %v %v", id, err)
	}
	if id, err := exchange.Identified(true, false); err != nil || !id {
		t.Fatalf("site on: %v %v", id, err)
	}
	c := loadCase(t, knownCase)
	priv := report.Privacy{Identify: true}
	s, _ := report.Summarize(c, report.DefaultSettings(), priv)
	if _, err := exchange.Build(c, s, priv, exchange.Options{Identified: true, PatientIDField: "nhs_number"}); err == nil {
		t.Fatal("identified record without its identifier was built")
	}
	// A summary built identified cannot make a pseudonymous record, nor
	// the reverse.
	if _, err := exchange.Build(c, s, priv, exchange.Options{}); err == nil {
		t.Fatal("mixed identity accepted")
	}
}
