package record

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// A long run (ECMO, ECCO2R: days) is recorded as a run of segments, one
// case file per day of the run (docs/format/case.md, "Long runs"): the
// first segment is the case file's usual path, <base>.case, and segment n
// (n >= 2) is <base>.<n>.case next to it. The readers here (OpenRun), the
// replay, the report and the shipper take the first segment's path (or any
// segment's) and treat the segments as one file, in order.

// CaseExt is the extension of a case file and of every segment.
const CaseExt = ".case"

// DefaultSegment is the length of a segment of a long run: 24 h of case time
// from the run's start.
const DefaultSegment = 24 * time.Hour

// DefaultMinFree is the free space of the record's file system under which
// the writer reports the disk as low (Status.DiskLow, the disk_low technical
// condition): 1 GiB, under four days of a long run at the built-in devices'
// rates (about 280 MiB a day: make soak-ecmo, docs/ecmo.md), time enough to
// free space or change the disk.
const DefaultMinFree = 1 << 30

// SegmentPath returns the path of segment n (1-based) of the run whose
// first segment is first.
func SegmentPath(first string, n int) string {
	if n <= 1 {
		return first
	}
	return strings.TrimSuffix(first, CaseExt) + "." + strconv.Itoa(n) + CaseExt
}

// FirstSegment returns the first segment of the run that path belongs to and
// path's number in it: path itself and 1 unless path is named <base>.<n>.case
// with n >= 2 (decimal digits, no leading zero) and <base>.case exists.
func FirstSegment(path string) (first string, n int) {
	base, ok := strings.CutSuffix(path, CaseExt)
	if !ok {
		return path, 1
	}
	i := strings.LastIndexByte(base, '.')
	if i < 0 || i == len(base)-1 || base[i+1] == '0' {
		return path, 1
	}
	for _, c := range base[i+1:] {
		if c < '0' || c > '9' {
			return path, 1
		}
	}
	n, err := strconv.Atoi(base[i+1:])
	if err != nil || n < 2 {
		return path, 1
	}
	first = base[:i] + CaseExt
	if fi, err := os.Stat(first); err != nil || fi.IsDir() {
		return path, 1
	}
	return first, n
}

// Segments returns the segments of the run that path (any of its segments)
// belongs to, in order: the first, then <base>.2.case, <base>.3.case, … as
// long as they exist. A case file that is not a long run is its own only
// segment.
func Segments(path string) []string {
	first, _ := FirstSegment(path)
	segs := []string{first}
	for n := 2; ; n++ {
		p := SegmentPath(first, n)
		if _, err := os.Lstat(p); err != nil {
			return segs
		}
		segs = append(segs, p)
	}
}

// RunBytes returns the bytes on disk of every segment of path's run.
func RunBytes(path string) int64 {
	var n int64
	for _, p := range Segments(path) {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// RunFile reads the segments of a run as one file: their bytes one after
// another, with a newline put between two when the earlier does not end
// with one (a segment another tool cut), so that no line of one segment
// runs into the next. Its size is fixed when it is opened. It is an
// io.Reader, io.ReaderAt and io.Seeker; Read and Seek are for one
// goroutine, ReadAt for any.
type RunFile struct {
	parts []runPart
	paths []string
	size  int64
	off   int64
}

// runPart is a segment, or (f nil) the one newline put after a segment.
type runPart struct {
	f           *os.File
	start, size int64
}

// OpenRun opens every segment of path's run (path: any segment; a case file
// that is not a long run is read as it is).
func OpenRun(path string) (*RunFile, error) {
	r := &RunFile{paths: Segments(path)}
	for i, p := range r.paths {
		f, err := os.Open(p)
		if err != nil {
			r.Close()
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			r.Close()
			return nil, err
		}
		if fi.IsDir() {
			f.Close()
			r.Close()
			return nil, &os.PathError{Op: "open", Path: p, Err: errors.New("is a directory")}
		}
		r.parts = append(r.parts, runPart{f: f, start: r.size, size: fi.Size()})
		r.size += fi.Size()
		if i < len(r.paths)-1 && fi.Size() > 0 {
			var last [1]byte
			if _, err := f.ReadAt(last[:], fi.Size()-1); err != nil {
				r.Close()
				return nil, fmt.Errorf("record: read %s: %w", p, err)
			}
			if last[0] != '\n' {
				r.parts = append(r.parts, runPart{start: r.size, size: 1})
				r.size++
			}
		}
	}
	return r, nil
}

// Paths returns the segments read, in order.
func (r *RunFile) Paths() []string { return r.paths }

// Size returns the run's size in bytes (with any newline put between
// segments) as it was when opened.
func (r *RunFile) Size() int64 { return r.size }

// ReadAt reads len(p) bytes from offset off of the run.
func (r *RunFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("record: negative offset")
	}
	n := 0
	for _, pt := range r.parts {
		if len(p) == 0 {
			break
		}
		if off >= pt.start+pt.size {
			continue
		}
		in := off - pt.start
		want := min(int64(len(p)), pt.size-in)
		if pt.f == nil {
			p[0] = '\n'
		} else if m, err := pt.f.ReadAt(p[:want], in); int64(m) < want {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF // the segment shrank under us
			}
			return n + m, err
		}
		n += int(want)
		off += want
		p = p[want:]
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}

// Read reads the run from its current offset.
func (r *RunFile) Read(p []byte) (int, error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.size-r.off)]
	n, err := r.ReadAt(p, r.off)
	r.off += int64(n)
	if errors.Is(err, io.EOF) && n > 0 {
		err = nil
	}
	return n, err
}

// Seek sets the offset of the next Read.
func (r *RunFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, errors.New("record: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("record: negative offset")
	}
	r.off = offset
	return offset, nil
}

// Close closes every segment.
func (r *RunFile) Close() error {
	var errs []error
	for _, pt := range r.parts {
		if pt.f != nil {
			errs = append(errs, pt.f.Close())
		}
	}
	r.parts = nil
	return errors.Join(errs...)
}
