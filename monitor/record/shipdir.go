package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// DirResult is what ShipDir did with one case file.
type DirResult struct {
	Path string
	// Cursor is the file's cursor before and after; Size the file's size
	// (for a long run, summed over its segments: Behind).
	Before, After, Size int64
	// Lines counts the lines the server accepted.
	Lines uint64
	// Err is why the file is not fully shipped (nil when it is): ErrBusy
	// when another shipper is at it, ctx's error at the deadline, the
	// server's or the file's otherwise.
	Err error
}

// UpToDate reports whether the whole file is on the server.
func (r DirResult) UpToDate() bool { return r.Err == nil && r.After >= r.Size }

// ShipDir drains, one after another, every case file (*.case; a long run's
// segments together, as one) of dir that
// want accepts (nil: every one) and whose cursor is behind its end, and
// calls done for each of them. A file another shipper holds is left to it
// (ErrBusy). It returns when every file is done or ctx ends, with an error
// only when dir cannot be read: nothing a console or `pumpside ship` left
// behind stays stranded.
func ShipDir(ctx context.Context, dir string, opt ShipperOptions, want func(path string) bool, done func(DirResult)) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.case"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("record: ship: %w", err)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if ctx.Err() != nil {
			return nil
		}
		if first, _ := FirstSegment(p); first != p {
			continue // a later segment of a long run: shipped with its first
		}
		if want != nil && !want(p) {
			continue
		}
		cur, size, err := Behind(p)
		r := DirResult{Path: p, Before: cur, After: cur, Size: size, Err: err}
		if err == nil && cur >= size {
			continue
		}
		if err == nil {
			r.Lines, r.After, r.Err = drainOne(ctx, p, opt)
		}
		done(r)
	}
	return nil
}

func drainOne(ctx context.Context, path string, opt ShipperOptions) (uint64, int64, error) {
	sh, err := NewShipper(path, opt)
	if err != nil {
		return 0, 0, err
	}
	defer sh.Close()
	err = sh.Drain(ctx)
	st := sh.Status()
	if err == nil && st.Quarantined > 0 {
		err = fmt.Errorf("%d batches refused by the server, set aside in %s: %w", st.Quarantined, QuarantinePath(path), st.LastErr)
	}
	cur, _, rerr := Behind(path)
	return st.Lines, cur, errors.Join(err, rerr)
}
