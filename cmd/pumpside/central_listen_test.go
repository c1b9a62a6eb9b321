package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCentralListenNeedsTLS: pumpside central refuses to listen where the
// network reaches it over plain http, unless --tls-cert and --tls-key or
// --insecure-http say so; loopback needs neither. An address it accepts
// goes on to the next check, which fails here (no access configured), so
// nothing listens.
func TestCentralListenNeedsTLS(t *testing.T) {
	const (
		refused = "is reachable from the network: give --tls-cert and --tls-key"
		next    = "give --token-file or --users"
	)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:8090"}, refused},
		{[]string{"--listen", ":8090"}, refused},
		{[]string{"--listen", "[::]:8090"}, refused},
		{[]string{"--listen", "192.0.2.10:8090"}, refused},
		{[]string{"--listen", "central.example:8090"}, refused},
		{[]string{"--listen", "0.0.0.0:8090", "--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--listen", "127.0.0.1:0"}, next},
		{[]string{"--listen", "127.0.0.2:0"}, next},
		{[]string{"--listen", "[::1]:0"}, next},
		{[]string{"--listen", "localhost:0"}, next},
		{nil, next}, // the default, 127.0.0.1:8090
		{[]string{"--listen", "0.0.0.0:8090", "--tls-cert", "c.pem", "--tls-key", "c.key"}, next},
		{[]string{"--listen", "0.0.0.0:8090", "--insecure-http"}, next},
	} {
		var out, errs bytes.Buffer
		code := dispatch(context.Background(), append([]string{"central"}, c.args...), &out, &errs)
		assert.Equal(t, 2, code, "%v: %s", c.args, errs.String())
		assert.Contains(t, errs.String(), c.want, c.args)
		assert.Empty(t, out.String(), "%v: nothing served", c.args)
	}
}
