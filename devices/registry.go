package devices

import (
	"fmt"
	"slices"
	"sync"
)

var registry struct {
	sync.RWMutex
	m map[string]func() Driver
}

// Register makes a driver available by name. newDriver returns a fresh
// Driver with default options each time it is called. Drivers call Register
// from init; it must not touch hardware. Register panics if name is empty or
// already registered, or newDriver is nil: programmer errors.
func Register(name string, newDriver func() Driver) {
	if name == "" || newDriver == nil {
		panic("devices: Register with an empty name or nil constructor")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic("devices: Register called twice for driver " + name)
	}
	if registry.m == nil {
		registry.m = map[string]func() Driver{}
	}
	registry.m[name] = newDriver
}

// New returns a new Driver registered under name, with default options.
func New(name string) (Driver, error) {
	registry.RLock()
	f := registry.m[name]
	registry.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("devices: unknown driver %q (known: %v): %w", name, Names(), ErrConfig)
	}
	return f(), nil
}

// Names returns the registered driver names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Describe returns d's Description, or the zero Description if d is not a
// Describer.
func Describe(d Driver) Description {
	if ds, ok := d.(Describer); ok {
		return ds.Describe()
	}
	return Description{}
}

// Configure sets d's options: decode fills the struct returned by d.Config
// (for example a TOML decoder that rejects unknown keys), then Init
// validates. A driver without options accepts only a nil decode. Errors wrap
// ErrConfig.
func Configure(d Driver, decode func(v any) error) error {
	if decode != nil {
		c, ok := d.(Configurable)
		if !ok {
			return fmt.Errorf("driver takes no options: %w", ErrConfig)
		}
		if err := decode(c.Config()); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if in, ok := d.(Initializer); ok {
		if err := in.Init(); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	return nil
}
