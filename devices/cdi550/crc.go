package cdi550

// crcTable is the nibble table of the packet CRC as the operator's manual
// prints it (appendix C, "CRC Information"). It is the table of an 8-bit
// CRC computed least significant bit first with the reflected polynomial
// 0xA1 (x^8 + x^7 + x^2 + 1, 0x85 in the usual notation) and initial value
// 0; crc_test.go checks the table against that bitwise definition.
var crcTable = [16]uint8{
	0x00, 0xcd, 0xd9, 0x14, 0xf1, 0x3c, 0x28, 0xe5,
	0xa1, 0x6c, 0x78, 0xb5, 0x50, 0x9d, 0x89, 0x44,
}

// CRC8 returns the packet CRC of b, four bits at a time, low nibble first,
// as the manual's algorithm does.
func CRC8(b []byte) uint8 {
	var c uint8
	for _, x := range b {
		c = c>>4 ^ crcTable[(c^x)&0x0f]
		c = c>>4 ^ crcTable[(c^x>>4)&0x0f]
	}
	return c
}
