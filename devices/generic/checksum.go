package generic

import "fmt"

// Check is a frame check algorithm.
type Check struct {
	name  string
	width int // bytes: 1 or 2
	sum   func(init uint16, b []byte) uint16
	init  uint16
	// CRC parameters, for the table-driven CRC-16s.
	crc *crc16
}

// Sum returns the check of b.
func (c *Check) Sum(b []byte) uint16 {
	if c.crc != nil {
		return c.crc.sum(b)
	}
	return c.sum(c.init, b)
}

// Width is the check's size in bytes.
func (c *Check) Width() int { return c.width }

// Name is the check's config name.
func (c *Check) Name() string { return c.name }

// crc16 is a CRC-16 in the Rocksoft model (Williams, "A painless guide to
// CRC error detection algorithms", 1993): polynomial, initial value, input
// and output reflection, final XOR. The catalogue of parameters and check
// values is Greg Cook's "Catalogue of parametrised CRC algorithms".
type crc16 struct {
	poly, init, xorout uint16
	reflected          bool // refin = refout = true (true of all four here)
	table              [256]uint16
}

func newCRC16(poly, init, xorout uint16, reflected bool) *crc16 {
	c := &crc16{poly: poly, init: init, xorout: xorout, reflected: reflected}
	for i := range 256 {
		if reflected {
			rp := reflect16(poly)
			v := uint16(i)
			for range 8 {
				if v&1 != 0 {
					v = v>>1 ^ rp
				} else {
					v >>= 1
				}
			}
			c.table[i] = v
		} else {
			v := uint16(i) << 8
			for range 8 {
				if v&0x8000 != 0 {
					v = v<<1 ^ poly
				} else {
					v <<= 1
				}
			}
			c.table[i] = v
		}
	}
	return c
}

func reflect16(v uint16) uint16 {
	var r uint16
	for range 16 {
		r = r<<1 | v&1
		v >>= 1
	}
	return r
}

func (c *crc16) sum(b []byte) uint16 {
	v := c.init
	if c.reflected {
		v = reflect16(v) // the register runs reflected
		for _, x := range b {
			v = v>>8 ^ c.table[byte(v)^x]
		}
	} else {
		for _, x := range b {
			v = v<<8 ^ c.table[byte(v>>8)^x]
		}
	}
	return v ^ c.xorout
}

// Checks are the supported algorithms by config name. The check value of
// each, its sum of the ASCII bytes "123456789", is in the tests.
var Checks = map[string]*Check{
	"sum8": {name: "sum8", width: 1, sum: func(v uint16, b []byte) uint16 {
		var s byte
		for _, x := range b {
			s += x
		}
		return uint16(s)
	}},
	"xor8": {name: "xor8", width: 1, sum: func(v uint16, b []byte) uint16 {
		var s byte
		for _, x := range b {
			s ^= x
		}
		return uint16(s)
	}},
	// CRC-16/CCITT-FALSE (also IBM-3740): poly 0x1021, init 0xFFFF, no
	// reflection, xorout 0; check 0x29B1.
	"crc16-ccitt-false": {name: "crc16-ccitt-false", width: 2, crc: newCRC16(0x1021, 0xFFFF, 0, false)},
	// CRC-16/XMODEM: poly 0x1021, init 0, no reflection, xorout 0; check
	// 0x31C3.
	"crc16-xmodem": {name: "crc16-xmodem", width: 2, crc: newCRC16(0x1021, 0, 0, false)},
	// CRC-16/MODBUS: poly 0x8005, init 0xFFFF, reflected, xorout 0; check
	// 0x4B37. Modbus sends it low byte first: byte_order = "little".
	"crc16-modbus": {name: "crc16-modbus", width: 2, crc: newCRC16(0x8005, 0xFFFF, 0, true)},
	// CRC-16/KERMIT: poly 0x1021, init 0, reflected, xorout 0; check
	// 0x2189. Kermit sends it low byte first.
	"crc16-kermit": {name: "crc16-kermit", width: 2, crc: newCRC16(0x1021, 0, 0, true)},
}

func checkNames() string {
	return "none, sum8, xor8, crc16-ccitt-false, crc16-xmodem, crc16-modbus, crc16-kermit"
}

func lookupCheck(name string) (*Check, error) {
	if c, ok := Checks[name]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%q is not one of %s", name, checkNames())
}
