package s5

// Layouts of the Datex-Ohmeda Record Specification (8005313, 12th edition):
// little-endian, fields packed on 1-byte boundaries. Offsets are in bytes.

// Record header (2.2.1, struct datex_hdr): 40 bytes.
const (
	hdrLen      = 0  // short r_len: the record's length, header included
	hdrNbr      = 2  // byte r_nbr
	hdrLevel    = 3  // byte dri_level
	hdrPlug     = 4  // word plug_id
	hdrTime     = 6  // dword r_time, seconds since 1970
	hdrMainType = 14 // short r_maintype
	hdrDesc     = 16 // struct sr_desc[8]: short sr_offset, byte sr_type
	descSize    = 3
	numDesc     = 8
	headerSize  = 40
	// maxRecord is the header and the largest data area (byte data[1450]).
	maxRecord = headerSize + 1450
	// maxFrame is the longest frame on the wire: a record and its checksum,
	// every byte escaped, and two flags.
	maxFrame = 2*(maxRecord+1) + 2
)

// Record main types (2.2.2).
const (
	mainPHDB    = 0
	mainWave    = 1
	mainAlarm   = 4
	mainNetwork = 5
	mainFO      = 8
)

// eolSubrecords ends the subrecord list (DRI_EOL_SUBR_LIST).
const eolSubrecords = 0xFF

// Physiological subrecord types (3.3, Table 3-1), and 0 for the
// transmission request (M1017617, "Subrecord types").
const (
	phRequest  = 0
	phDispl    = 1
	ph10sTrend = 2
	ph60sTrend = 3
	phAuxInfo  = 4
)

// Subrecord sizes: struct dri_phdb (3.3.3), struct aux_phdb_info (3.3.4)
// and struct dri_phdb_req (M1017617, "Transmission request").
const (
	phdbSize    = 278
	auxSize     = 114
	requestSize = 9
)

// struct dri_phdb: time, the class's data, marker, reserved,
// cl_drilvl_subt (class in bits 8 to 11).
const (
	phdbTime  = 0
	phdbData  = 4
	phdbClass = 276
)

// Physiological subrecord classes (3.3.1, enum dri_phdb_class) and the
// request's phdb_class_bf bits (3.3.2, Table 3-3).
const (
	classBasic = 0
	classExt1  = 1
	classExt2  = 2
	classExt3  = 3

	reqDenyBasic = 0x0001
	reqExt1      = 0x0002
	reqExt2      = 0x0004
	reqExt3      = 0x0008
)

// struct group_hdr (3.4): dword status, word label; the values follow.
const (
	grpStatus = 0
	grpLabel  = 4
	grpValues = 6

	statusExists = 1 << 0
	statusActive = 1 << 1
)

// Offsets of the groups inside the data area of a class (the subrecord's
// offset phdbData added).
const (
	// struct basic_phdb (3.5).
	basicECG     = 0   // ecg_group: hr, st1, st2, st3, imp_rr
	basicP1      = 16  // p_group p1234[4]: sys, dia, mean, hr; 14 bytes each
	basicNIBP    = 72  // nibp_group
	basicT1      = 86  // t_group t[4]: temp; 8 bytes each
	basicSpO2    = 118 // SpO2_pl_group: SpO2, pr, ir_amp, SvO2
	basicCO2     = 132 // co2_group: et, fi, rr, amb_press
	basicO2      = 146
	basicN2O     = 156
	basicAA      = 166
	basicFlowVol = 178
	basicCOWedge = 200 // co_wedge_group: co, blood_temp, ref, pcwp
	basicNMT     = 214
	basicECGX    = 226 // ecg_extra_group, no header
	basicSvO2    = 232
	basicP5      = 240 // p_group p56[2]
	dataSize     = 270

	pGroupSize = 14
	tGroupSize = 8

	// struct ext1_phdb (3.6).
	ext1ArrhECG = 0
	ext1ECG12   = 48
	ext1P7      = 78  // p_group p78[2]
	ext1SpO2    = 106 // SpO2_ch2
	ext1T5      = 120 // t_group t56[2]

	// struct ext2_phdb (3.7).
	ext2NMT2    = 0
	ext2EEG     = 24
	ext2BIS     = 96 // eeg_bis_group: bis, sqi_val, emg_val, sr_val
	ext2Entropy = 112
	ext2EEG2    = 198
	ext2SPI     = 230
)

// Value offsets inside a group (after its 6-byte header).
const (
	ecgHR       = grpValues + 0
	pSys        = grpValues + 0
	pDia        = grpValues + 2
	pMean       = grpValues + 4
	tTemp       = grpValues + 0
	spo2SpO2    = grpValues + 0
	spo2PR      = grpValues + 2
	co2Et       = grpValues + 0
	co2RR       = grpValues + 4
	co2Amb      = grpValues + 6
	coBloodTemp = grpValues + 2
	bisBIS      = grpValues + 0
)

// Status bits that make a value questionable (the group's status field).
const (
	// ECG (Table 3-10): noise, artifact, learning.
	warnECG = 1<<7 | 1<<8 | 1<<9
	// Invasive pressure (Table 3-15): zeroing.
	warnPressure = 1 << 2
	// CO2 (Table 3-25): calibrating, zeroing, occlusion, air leak.
	warnCO2 = 1<<3 | 1<<4 | 1<<5 | 1<<6
)

// Special measurement values (3.4, Table 3-9). Values from -32001 down
// are not measurements.
const (
	dataInvalid       = -32767
	dataNotUpdated    = -32766
	dataUnderRange    = -32764
	dataOverRange     = -32763
	dataNotCalibrated = -32762
	lowestValid       = -32000
)

// pressureLabels are the invasive pressure labels (Table 3-16), by value.
var pressureLabels = [...]string{
	"NOT DEFINED", "ART", "CVP", "PA", "RAP", "RVP", "LAP", "ICP", "ABP",
	"P1", "P2", "P3", "P4", "P5", "P6", "SP", "FEM", "UAC", "UVC", "ICP2",
	"P7", "P8", "FEMV",
}

// temperatureLabels are the temperature labels (Table 3-20), by value.
var temperatureLabels = [...]string{
	"NOT USED", "ESO", "NASO", "TYMP", "RECT", "BLAD", "AXIL", "SKIN", "AIRW",
	"ROOM", "MYO", "T1", "T2", "T3", "T4", "CORE", "SURF", "T5", "T6",
}

// The invasive pressure channels (P1 to P8) and temperature channels (T1
// to T6) by their place in the classes.
var (
	pressureSlots = [8]struct {
		class int
		off   int
	}{
		{classBasic, basicP1}, {classBasic, basicP1 + pGroupSize}, {classBasic, basicP1 + 2*pGroupSize},
		{classBasic, basicP1 + 3*pGroupSize}, {classBasic, basicP5}, {classBasic, basicP5 + pGroupSize},
		{classExt1, ext1P7}, {classExt1, ext1P7 + pGroupSize},
	}
	temperatureSlots = [6]struct {
		class int
		off   int
	}{
		{classBasic, basicT1}, {classBasic, basicT1 + tGroupSize}, {classBasic, basicT1 + 2*tGroupSize},
		{classBasic, basicT1 + 3*tGroupSize}, {classExt1, ext1T5}, {classExt1, ext1T5 + tGroupSize},
	}
)
