package devices

import (
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// TOMLDecoder returns a decode function for Configure that reads data as
// TOML and rejects keys the driver's option struct does not have.
func TOMLDecoder(data []byte) func(v any) error {
	return func(v any) error {
		md, err := toml.Decode(string(data), v)
		if err != nil {
			return err
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			sort.Strings(keys)
			return fmt.Errorf("unknown option(s) %s", strings.Join(keys, ", "))
		}
		return nil
	}
}
