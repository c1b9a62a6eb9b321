//go:build !linux

package transport

import (
	"fmt"

	"github.com/pumpside/pumpside/devices"
)

func withFlowControl(path, flow string, open func() error) error {
	if flow == "" || flow == "none" {
		return open()
	}
	return fmt.Errorf("flow control %s is supported on Linux only: %w", flow, devices.ErrConfig)
}
