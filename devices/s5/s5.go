package s5

import (
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"time"

	"github.com/pumpside/pumpside/devices"
	"github.com/pumpside/pumpside/monitor"
	"github.com/pumpside/pumpside/monitor/channel"
)

// Name is the driver's registry name.
const Name = "s5"

//go:embed sample.conf
var sampleConfig string

// Registration only: no hardware access in init.
func init() { devices.Register(Name, func() devices.Driver { return New() }) }

// Driver decodes the displayed values of a GE Datex-Ohmeda S/5 or
// CARESCAPE monitor, and asks for them on a live connection. A Driver is
// used by one goroutine; its encoder methods (AppendFrame, Respond) only
// read it and may be called from several.
type Driver struct {
	cfg   Config
	press [len(pressureLabels)]site
	temp  [len(temperatureLabels)]channel.ID
	blood channel.ID
	lay   *layout // where the encoder puts each channel
	notes *noteTexts

	// Decoding state, reused across frames and connections.
	env   devices.Env
	fr    *deframer
	rbuf  []byte
	bad   devices.FrameError
	taken [channel.Count]bool // channels given by the record being decoded
	dlg   dialogue
}

// Compile-time checks of the interfaces the driver implements.
var (
	_ devices.Driver       = (*Driver)(nil)
	_ devices.Describer    = (*Driver)(nil)
	_ devices.Configurable = (*Driver)(nil)
	_ devices.Initializer  = (*Driver)(nil)
	_ devices.Encoder      = (*Driver)(nil)
	_ devices.Responder    = (*Driver)(nil)
)

// New returns a driver with default options.
func New() *Driver {
	d := &Driver{cfg: Config{
		Interval:         Duration{DefaultInterval},
		Pressures:        DefaultPressures(),
		Temperatures:     DefaultTemperatures(),
		BloodTemperature: channel.TempBlood.String(),
	}}
	if err := d.Init(); err != nil {
		panic(err) // the defaults are valid
	}
	return d
}

// Config returns the options for a config decoder to fill.
func (d *Driver) Config() any { return &d.cfg }

// Describe tells what the driver emits with its current options.
func (d *Driver) Describe() devices.Description {
	iv := d.cfg.Interval.Duration
	ds := devices.Description{
		Summary: "GE Datex-Ohmeda S/5 and CARESCAPE monitors, S/5 Computer Interface: displayed values, asked for every " + iv.String(),
		// The watchdog's interval is the document's minimum: a monitor
		// that keeps to it (ignoring a shorter request) is not silent. The
		// driver notices a monitor that stops sooner by itself (Decode).
		Interval: max(iv, DocumentedMinInterval),
		// A monitor that rebooted must be found again within seconds.
		MaxBackoff:   2 * time.Second,
		MaxFrame:     maxFrame,
		Port:         devices.PortSettings{Baud: 19200, DataBits: 8, Parity: "even", StopBits: "1", Flow: "rts/cts"},
		SampleConfig: sampleConfig,
	}
	add := func(id channel.ID, field, note string) {
		ds.Channels = append(ds.Channels, devices.ChannelSpec{ID: id, Field: field, Interval: iv, Note: note})
	}
	add(channel.PatientHR, "ECG hr", "the monitor's heart rate source (ECG, or a pressure or SpO2 when selected)")
	for s := siteArterial; s < numSites; s++ {
		labels := ""
		for l, ls := range d.press {
			if ls == s {
				if labels != "" {
					labels += ", "
				}
				labels += pressureLabels[l]
			}
		}
		if labels == "" {
			continue
		}
		for k, id := range siteChannels[s] {
			if id != channel.Invalid {
				add(id, "P1-P8 labelled "+labels+" ("+[3]string{"sys", "dia", "mean"}[k]+")", "")
			}
		}
	}
	for l, id := range d.temp {
		if id != channel.Invalid {
			add(id, "T1-T6 labelled "+temperatureLabels[l], "")
		}
	}
	if d.blood != channel.Invalid {
		add(d.blood, "CO blood_temp", "cardiac output module (pulmonary artery catheter)")
	}
	add(channel.PatientSpO2, "SpO2", "")
	add(channel.PatientPulse, "SpO2 pr", "pulse rate of the SpO2 measurement")
	add(channel.PatientEtCO2, "CO2 et, amb_press", "from the % and the monitor's ambient pressure")
	add(channel.PatientRR, "CO2 rr", "")
	add(channel.PatientBIS, "EEG BIS bis", "with a BIS module")
	return ds
}

// Errors returned by Decode on a live connection.
var (
	// ErrNoData: the monitor sent no displayed values in the time it was
	// given (gone, rebooted, or not answering requests). Decode returns it
	// so that the Supervisor reconnects and raises device_lost.
	ErrNoData = errors.New("s5: the monitor sends no displayed values")
)

// Decode reads frames until rw fails or ctx is done. When rw keeps read
// deadlines (a serial port, a socket: devices.Deadliner) it also holds the
// dialogue: it asks for displayed values, asks again after silence, and
// returns ErrNoData when the monitor stays silent (see dialogue). A capture
// or a file is only read.
func (d *Driver) Decode(ctx context.Context, rw io.ReadWriter, env devices.Env) error {
	d.env = env.WithDefaults()
	defer func() { d.env = devices.Env{} }()
	if d.fr == nil {
		d.fr = newDeframer(maxRecord + 1)
		d.rbuf = make([]byte, 4096)
	}
	d.fr.reset()
	dl, live := rw.(devices.Deadliner)
	if live && dl.SetReadDeadline(time.Time{}) != nil {
		live = false // a file: it has the method, not deadlines
	}
	if live {
		d.dlg.connect(time.Now(), d.cfg.Interval.Duration)
	}
	var off int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if live {
			now := time.Now()
			next, err := d.dlg.tick(now, rw, d.env.Events)
			if err != nil {
				return err
			}
			dl.SetReadDeadline(next)
		}
		n, err := rw.Read(d.rbuf)
		if live && n > 0 {
			d.dlg.received(time.Now())
		}
		for i, b := range d.rbuf[:n] {
			if ev := d.fr.push(b, off+int64(i)); ev != evNone {
				d.onEvent(ev, live)
			}
		}
		off += int64(n)
		if err != nil {
			if live && errors.Is(err, os.ErrDeadlineExceeded) {
				continue // a tick
			}
			if ev := d.fr.end(off); ev != evNone {
				d.onEvent(ev, live)
			}
			return err
		}
	}
}

// onEvent reports a frame and emits its values.
func (d *Driver) onEvent(ev frameEvent, live bool) {
	fr := d.fr
	if ev == evBad {
		d.bad = devices.FrameError{Driver: Name, Offset: fr.off, Size: fr.size, Reason: devices.ReasonSyntax, Err: fr.err}
		switch {
		case fr.oversize:
			d.bad.Reason = devices.ReasonOversize
		case fr.err == errTruncated || fr.err == errEmpty:
			d.bad.Reason = devices.ReasonTruncated
		}
		if !fr.oversize {
			d.bad.Raw = devices.RawHead(fr.frame())
		}
		d.env.Events.FrameBad(&d.bad)
		return
	}
	rec := fr.frame()
	if reason, field, err := d.check(rec); err != nil {
		d.bad = devices.FrameError{Driver: Name, Offset: fr.off, Size: fr.size, Reason: reason, Field: field, Raw: devices.RawHead(rec), Err: err}
		d.env.Events.FrameBad(&d.bad)
		return
	}
	d.env.Events.FrameOK(fr.off, int(fr.size))
	if d.emit(rec[:len(rec)-1]) && live {
		d.dlg.heard(time.Now())
	}
}

var (
	errShort    = errors.New("shorter than a record header and its checksum")
	errChecksum = errors.New("checksum does not match the record")
	errLength   = errors.New("r_len does not match the record's length")
	errSubrec   = errors.New("subrecord beyond the end of the record")
)

// check validates a frame's record and checksum, and the bounds of its
// physiological subrecords, before anything is emitted.
func (d *Driver) check(f []byte) (devices.Reason, string, error) {
	if len(f) < headerSize+1 {
		return devices.ReasonSyntax, "", errShort
	}
	rec := f[:len(f)-1]
	if checksum(rec) != f[len(f)-1] {
		return devices.ReasonChecksum, "", errChecksum
	}
	if int(int16(le16(rec, hdrLen))) != len(rec) {
		return devices.ReasonField, "r_len", errLength
	}
	if int16(le16(rec, hdrMainType)) != mainPHDB {
		return 0, "", nil
	}
	data := len(rec) - headerSize
	for i := range numDesc {
		typ := rec[hdrDesc+descSize*i+2]
		if typ == eolSubrecords {
			break
		}
		size := subrecordSize(typ)
		if size == 0 {
			continue // unknown: noted when emitting
		}
		off := int(int16(le16(rec, hdrDesc+descSize*i)))
		if off < 0 || off+size > data {
			return devices.ReasonField, descFields[i], errSubrec
		}
	}
	return 0, "", nil
}

var descFields = [numDesc]string{"sr_desc[0]", "sr_desc[1]", "sr_desc[2]", "sr_desc[3]", "sr_desc[4]", "sr_desc[5]", "sr_desc[6]", "sr_desc[7]"}

func subrecordSize(typ byte) int {
	switch typ {
	case phDispl, ph10sTrend, ph60sTrend:
		return phdbSize
	case phAuxInfo:
		return auxSize
	case phRequest:
		return requestSize
	}
	return 0
}

// Notes for records and subrecords that are not decoded.
const (
	noteWave       = "waveform record (main type 1): not requested, not decoded"
	noteAlarm      = "alarm record (main type 4): not requested, not decoded"
	noteOtherMain  = "record of a main type other than physiological data: not decoded"
	noteTrend      = "trended values subrecord (10 s or 60 s): not requested, not decoded"
	noteAux        = "auxiliary physiological information subrecord: not decoded"
	noteRequest    = "a transmission request subrecord from the monitor: ignored"
	noteSubtype    = "physiological subrecord of a type outside the document's table: not decoded"
	noteClass      = "displayed values subrecord of a class outside basic, ext1, ext2, ext3: not decoded"
	noteDupClass   = "two displayed values subrecords of one class in a record: the second not decoded"
	noteSpecial    = "a special value outside the document's table (-32001 and below): no value"
	noteAmbient    = "EtCO2 without a valid ambient pressure: no value"
	noteBloodTaken = "blood temperature: its channel is already given by a temperature probe (not emitted)"
)

// emit decodes the displayed values of a checked record and puts its
// samples. It reports whether the record held displayed values.
func (d *Driver) emit(rec []byte) bool {
	switch int16(le16(rec, hdrMainType)) {
	case mainPHDB:
	case mainWave:
		devices.Note(d.env.Events, noteWave)
		return false
	case mainAlarm:
		devices.Note(d.env.Events, noteAlarm)
		return false
	default:
		devices.Note(d.env.Events, noteOtherMain)
		return false
	}
	data := rec[headerSize:]
	var subs [4][]byte // displayed values by class
	for i := range numDesc {
		typ := rec[hdrDesc+descSize*i+2]
		if typ == eolSubrecords {
			break
		}
		off := int(int16(le16(rec, hdrDesc+descSize*i)))
		switch typ {
		case phDispl:
			sr := data[off : off+phdbSize]
			class := int(le16(sr, phdbClass)>>8) & 0x0F
			switch {
			case class >= len(subs):
				devices.Note(d.env.Events, noteClass)
			case subs[class] != nil:
				devices.Note(d.env.Events, noteDupClass)
			default:
				subs[class] = sr[phdbData : phdbData+dataSize]
			}
		case ph10sTrend, ph60sTrend:
			devices.Note(d.env.Events, noteTrend)
		case phAuxInfo:
			devices.Note(d.env.Events, noteAux)
		case phRequest:
			devices.Note(d.env.Events, noteRequest)
		default:
			devices.Note(d.env.Events, noteSubtype)
		}
	}
	if subs[classBasic] == nil && subs[classExt1] == nil && subs[classExt2] == nil && subs[classExt3] == nil {
		return false
	}
	clear(d.taken[:])
	t := d.env.Clock.Now()
	// Class order, so that a lower-numbered channel (P1 to P6 in basic)
	// takes a site before P7 and P8 (ext1), whatever the record's order.
	if b := subs[classBasic]; b != nil {
		d.put(t, channel.PatientHR, b, basicECG, ecgHR, 1, warnECG)
	}
	for s, slot := range pressureSlots {
		if b := subs[slot.class]; b != nil {
			d.pressure(t, s, b[slot.off:slot.off+pGroupSize])
		}
	}
	for s, slot := range temperatureSlots {
		if b := subs[slot.class]; b != nil {
			d.temperature(t, s, b[slot.off:slot.off+tGroupSize])
		}
	}
	if b := subs[classBasic]; b != nil {
		switch {
		case d.blood == channel.Invalid:
		case d.taken[d.blood]:
			devices.Note(d.env.Events, noteBloodTaken)
		default:
			d.put(t, d.blood, b, basicCOWedge, coBloodTemp, 100, 0)
		}
		d.put(t, channel.PatientSpO2, b, basicSpO2, spo2SpO2, 100, 0)
		d.put(t, channel.PatientPulse, b, basicSpO2, spo2PR, 1, 0)
		d.etco2(t, b[basicCO2:basicCO2+14])
		d.put(t, channel.PatientRR, b, basicCO2, co2RR, 1, warnCO2)
	}
	if b := subs[classExt2]; b != nil {
		d.put(t, channel.PatientBIS, b, ext2BIS, bisBIS, 1, 0)
	}
	return true
}

// pressure emits invasive pressure channel s (P1 to P8) by its label.
func (d *Driver) pressure(t int64, s int, g []byte) {
	status := le32(g, grpStatus)
	if status&statusExists == 0 {
		return // no module: nothing to say about its label
	}
	label := int(le16(g, grpLabel))
	if label >= len(pressureLabels) {
		devices.Note(d.env.Events, d.notes.pressUnknown[s])
		return
	}
	st := d.press[label]
	if st == siteNone {
		devices.Note(d.env.Events, d.notes.pressUnmapped[s][label])
		return
	}
	ids := siteChannels[st]
	if d.taken[ids[2]] {
		devices.Note(d.env.Events, d.notes.pressTaken[s])
		return
	}
	for k, off := range [3]int{pSys, pDia, pMean} {
		if ids[k] != channel.Invalid {
			d.putValue(t, ids[k], status, int16(le16(g, off)), 100, warnPressure)
		}
	}
}

// temperature emits temperature channel s (T1 to T6) by its label.
func (d *Driver) temperature(t int64, s int, g []byte) {
	status := le32(g, grpStatus)
	if status&statusExists == 0 {
		return
	}
	label := int(le16(g, grpLabel))
	if label >= len(temperatureLabels) {
		devices.Note(d.env.Events, d.notes.tempUnknown[s])
		return
	}
	id := d.temp[label]
	if id == channel.Invalid {
		devices.Note(d.env.Events, d.notes.tempUnmapped[s][label])
		return
	}
	if d.taken[id] {
		devices.Note(d.env.Events, d.notes.tempTaken[s])
		return
	}
	d.putValue(t, id, status, int16(le16(g, tTemp)), 100, 0)
}

// etco2 emits the end-tidal CO2 in mmHg from the concentration (1/100 %)
// and the monitor's ambient pressure (1/10 mmHg): partial pressure =
// fraction × total pressure (Dalton's law), as the monitor converts for
// its own mmHg display. Rounded to 0.1 mmHg, finer than the monitor shows.
// Worked example (values of a public recording of a CARESCAPE monitor):
// et 487 (4.87 %), amb_press 7598 (759.8 mmHg) → 0.0487 × 759.8 = 37.0 mmHg.
func (d *Driver) etco2(t int64, g []byte) {
	status := le32(g, grpStatus)
	et, amb := int16(le16(g, co2Et)), int16(le16(g, co2Amb))
	q, ok := d.quality(status, et, warnCO2)
	if ok && amb <= 0 { // a special value, or no pressure at all
		devices.Note(d.env.Events, noteAmbient)
		q, ok = channel.Unavailable, false
	}
	v := math.NaN()
	if ok {
		v = math.Round(float64(et)*float64(amb)/10000) / 10
	}
	d.putSample(t, channel.PatientEtCO2, v, q)
}

// put emits the value at off of the group at grp in the class data b.
func (d *Driver) put(t int64, id channel.ID, b []byte, grp, off int, div float64, warn uint32) {
	d.putValue(t, id, le32(b, grp+grpStatus), int16(le16(b, grp+off)), div, warn)
}

// putValue emits raw/div with the group's status.
func (d *Driver) putValue(t int64, id channel.ID, status uint32, raw int16, div float64, warn uint32) {
	q, ok := d.quality(status, raw, warn)
	v := math.NaN()
	if ok {
		v = float64(raw) / div
	}
	d.putSample(t, id, v, q)
}

// quality reads a value's quality from its group's status and the special
// values; ok says whether raw is a measurement (OK or questionable).
//
//	module absent or measurement inactive   unavailable
//	DATA_INVALID (-32767)                   unavailable
//	DATA_NOT_UPDATED (-32766)               stale
//	DATA_UNDER_RANGE, DATA_OVER_RANGE       out_of_range
//	DATA_NOT_CALIBRATED (-32762)            questionable, no value
//	any other value from -32001 down        unavailable (noted)
//	a value with a warning status bit       questionable
func (d *Driver) quality(status uint32, raw int16, warn uint32) (channel.Quality, bool) {
	if status&(statusExists|statusActive) != statusExists|statusActive {
		return channel.Unavailable, false
	}
	if raw < lowestValid {
		switch raw {
		case dataInvalid:
			return channel.Unavailable, false
		case dataNotUpdated:
			return channel.Stale, false
		case dataUnderRange, dataOverRange:
			return channel.OutOfRange, false
		case dataNotCalibrated:
			return channel.Questionable, false
		}
		devices.Note(d.env.Events, noteSpecial)
		return channel.Unavailable, false
	}
	if status&warn != 0 {
		return channel.Questionable, true
	}
	return channel.OK, true
}

func (d *Driver) putSample(t int64, id channel.ID, v float64, q channel.Quality) {
	d.taken[id] = true
	d.env.Sink.Put(monitor.Sample{Time: t, Channel: id, Source: d.env.Source, Value: v, Quality: channel.Get(id).Classify(v, q)})
}

func le16(b []byte, off int) uint16 { return binary.LittleEndian.Uint16(b[off:]) }
func le32(b []byte, off int) uint32 { return binary.LittleEndian.Uint32(b[off:]) }
