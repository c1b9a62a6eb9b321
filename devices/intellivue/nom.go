package intellivue

// Protocol constants, named as in the Data Export Interface Programming
// Guide (4535 642 59271), chapters 5 to 7. Only those the driver uses.

// Session header types of the association control messages (guide
// "Session Headers").
const (
	spduCN = 0x0D // association request
	spduAC = 0x0E // association response: accepted
	spduRF = 0x0C // refuse
	spduFN = 0x09 // release request
	spduDN = 0x0A // release response
	spduAB = 0x19 // abort
	// sessionData is the first byte of a data export message (SPpdu
	// session_id 0xE100).
	sessionData = 0xE1
)

// Remote operation types (ROapdus.ro_type).
const (
	roIV  = 1 // invoke
	roRS  = 2 // result
	roER  = 3 // error
	roLRS = 5 // linked result
)

// Linked result states (RorlsId.state).
const (
	rorlsFirst      = 1
	rorlsNotFirstNo = 2
	rorlsLast       = 3
)

// Command types (CMDType).
const (
	cmdEventReport          = 0
	cmdConfirmedEventReport = 1
	cmdGet                  = 3
	cmdSet                  = 4
	cmdConfirmedSet         = 5
	cmdConfirmedAction      = 7
)

// Object classes, events and actions (partition NOM_PART_OBJ).
const (
	partObj   = 1
	partSCADA = 2

	mocVMOMetricNu = 6  // NOM_MOC_VMO_METRIC_NU: numerics
	mocVMSMDS      = 33 // NOM_MOC_VMS_MDS
	mocVMOAlMon    = 54 // NOM_MOC_VMO_AL_MON: alert monitor

	notiMDSCreate = 3334  // NOM_NOTI_MDS_CREAT
	actPoll       = 3094  // NOM_ACT_POLL_MDIB_DATA
	actPollExt    = 61755 // NOM_ACT_POLL_MDIB_DATA_EXT
)

// Attribute groups and attribute IDs.
const (
	grpAll         = 0x0000
	grpAlMon       = 0x0801 // NOM_ATTR_GRP_AL_MON
	grpMetricObs   = 0x0803 // NOM_ATTR_GRP_METRIC_VAL_OBS
	grpVMODynamic  = 0x0810 // NOM_ATTR_GRP_VMO_DYN: label, label string
	grpVMOStatic   = 0x0811 // NOM_ATTR_GRP_VMO_STATIC
	attrHandle     = 0x0921 // NOM_ATTR_ID_HANDLE
	attrLabel      = 0x0924 // NOM_ATTR_ID_LABEL: TextId
	attrLabelStr   = 0x0927 // NOM_ATTR_ID_LABEL_STRING
	attrType       = 0x092F // NOM_ATTR_ID_TYPE
	attrNuCmpdObs  = 0x094B // NOM_ATTR_NU_CMPD_VAL_OBS
	attrNuObs      = 0x0950 // NOM_ATTR_NU_VAL_OBS
	attrTimePdPoll = 0xF13E // NOM_ATTR_TIME_PD_POLL
	attrDevAlCond  = 0x0916 // NOM_ATTR_DEV_AL_COND
	attrTimeAbs    = 0x0987 // NOM_ATTR_TIME_ABS
	attrTimeRel    = 0x098F // NOM_ATTR_TIME_REL

	attrPollProfileSupport = 0x0001 // NOM_POLL_PROFILE_SUPPORT
	attrPollProfileExt     = 0xF001 // NOM_ATTR_POLL_PROFILE_EXT
)

// Association user data bits (chapter 6 and "Association Control").
const (
	mddlVersion1       = 0x80000000
	nomenVersion       = 0x40000000
	systClient         = 0x80000000
	systServer         = 0x00800000
	coldStart          = 0x20000000
	pollProfileRev0    = 0x80000000
	pOptDynCreate      = 0x40000000
	pOptDynDelete      = 0x20000000
	pollExtPeriodNu1s  = 0x80000000 // real-time numerics
	pollExtPeriodNu12s = 0x40000000
	pollExtPeriodNu60s = 0x20000000
	pollExtPeriodNu5m  = 0x10000000
)

// Measurement state bits (MeasurementState, "Attribute: Numeric Observed
// Value"). The value is valid when the first octet is all 0.
const (
	msInvalid      = 0x8000
	msQuestionable = 0x4000
	msUnavailable  = 0x2000
	msCalibration  = 0x1000
	msTestData     = 0x0800
	msDemoData     = 0x0400
)

// Unit codes (partition NOM_PART_DIM, "Unit Codes").
const (
	dimDimless = 0x0200 // NOM_DIM_DIMLESS
	dimPercent = 0x0220 // NOM_DIM_PERCENT
	dimBPM     = 0x0AA0 // NOM_DIM_BEAT_PER_MIN
	dimRPM     = 0x0AE0 // NOM_DIM_RESP_PER_MIN
	dimKPa     = 0x0F03 // NOM_DIM_KILO_PASCAL
	dimMMHg    = 0x0F20 // NOM_DIM_MMHG
	dimFahr    = 0x1140 // NOM_DIM_FAHR
	dimDegC    = 0x17A0 // NOM_DIM_DEGC
)

// Ticks of RelativeTime per second (1/8 ms).
const ticksPerSecond = 8000
