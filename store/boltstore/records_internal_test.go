package boltstore

import (
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/factcheck/factcheck/store/boltstore/internal/recordpb"
)

// fill sets every field of m, recursively, to a value that is not the
// default: negative numbers (varints of ten bytes), strings beyond ASCII,
// two elements in lists and maps. A field added to a message is filled too,
// so a test built on it notices a decoder that does not know it.
func fill(m protoreflect.Message, seed int) {
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		n := seed*100 + i + 1
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			for j := range 2 {
				mp.Set(protoreflect.ValueOfString(fmt.Sprintf("key %d-%d", n, j)).MapKey(), scalar(fd.MapValue(), n+j))
			}
		case fd.IsList():
			l := m.Mutable(fd).List()
			for j := range 2 {
				if fd.Message() != nil {
					e := l.NewElement()
					fill(e.Message(), n+j)
					l.Append(e)
				} else {
					l.Append(scalar(fd, n+j))
				}
			}
		case fd.Message() != nil:
			fill(m.Mutable(fd).Message(), n)
		default:
			m.Set(fd, scalar(fd, n))
		}
	}
}

func scalar(fd protoreflect.FieldDescriptor, n int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.Int32Kind:
		return protoreflect.ValueOfInt32(-int32(n))
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(-int64(n) << 40)
	case protoreflect.Fixed64Kind, protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64(math.MaxUint64 - uint64(n))
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(0.5 + float64(n))
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(fmt.Sprintf("وسم %d ✓", n))
	}
	panic(fmt.Sprintf("fill: %s has kind %v; teach fill and unmarshalAnnotation about it", fd.FullName(), fd.Kind()))
}

// TestUnmarshalAnnotation: the hand-written decoder reads every field of
// the annotation record (a field added to recordpb.Annotation or a message
// it holds fails here until unmarshalAnnotation knows it), as
// proto.Unmarshal does, and leaves everything else to proto.Unmarshal.
func TestUnmarshalAnnotation(t *testing.T) {
	full := &recordpb.Annotation{}
	fill(full.ProtoReflect(), 0)
	fullVal, err := encode(full)
	if err != nil {
		t.Fatal(err)
	}
	// Fields in another order than Marshal's, and a map key twice.
	var shuffled []byte
	for b := fullVal; len(b) > 0; {
		_, _, n := protowire.ConsumeField(b)
		shuffled = append(b[:n:n], shuffled...)
		b = b[n:]
	}
	dupKey := protowire.AppendTag(nil, 9, protowire.BytesType)
	entry := protowire.AppendTag(nil, 1, protowire.BytesType)
	entry = protowire.AppendString(entry, "key 9-0")
	entry = protowire.AppendTag(entry, 2, protowire.BytesType)
	entry = protowire.AppendString(entry, "later")
	dupKey = protowire.AppendBytes(dupKey, entry)
	for _, tc := range []struct {
		name string
		val  []byte
		// fast: whether unmarshalAnnotation reads it rather than
		// leaving it to proto.Unmarshal.
		fast bool
	}{
		{"every field", fullVal, true},
		{"empty", nil, true},
		{"every field, reversed", shuffled, true},
		{"a map key twice", append(fullVal[:len(fullVal):len(fullVal)], dupKey...), true},
		{"an unknown field", protowire.AppendVarint(protowire.AppendTag(fullVal[:len(fullVal):len(fullVal)], 99, protowire.VarintType), 7), false},
		{"a known field of another wire type", protowire.AppendFixed32(protowire.AppendTag(nil, 8, protowire.Fixed32Type), 7), false},
		{"a message field twice", append(fullVal[:len(fullVal):len(fullVal)], fullVal...), false},
		{"invalid UTF-8", protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff}), false},
		{"truncated", fullVal[:len(fullVal)-1], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := &recordpb.Annotation{}
			if ok := unmarshalAnnotation(tc.val, got); ok != tc.fast {
				t.Fatalf("unmarshalAnnotation reports %v, want %v", ok, tc.fast)
			}
			want := &recordpb.Annotation{}
			wantErr := proto.Unmarshal(tc.val, want)
			got, err := decode(tc.val, &recordpb.Annotation{})
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("decode: %v; proto.Unmarshal: %v", err, wantErr)
			}
			if err == nil && !proto.Equal(got, want) {
				t.Errorf("decode gives\n%v\nproto.Unmarshal gives\n%v", got, want)
			}
		})
	}
	if got, _ := decode(fullVal, &recordpb.Annotation{}); !proto.Equal(got, full) {
		t.Errorf("decode of every field gives\n%v\nwant\n%v", got, full)
	}
}

// FuzzUnmarshalAnnotation: whatever the bytes, when unmarshalAnnotation
// reads them proto.Unmarshal reads the same record from them.
func FuzzUnmarshalAnnotation(f *testing.F) {
	full := &recordpb.Annotation{}
	fill(full.ProtoReflect(), 0)
	for _, m := range []*recordpb.Annotation{full, {}, {Id: "n1", State: 2, Labels: map[string]string{"": ""}}} {
		val, err := encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(val)
	}
	f.Fuzz(func(t *testing.T, val []byte) {
		got := &recordpb.Annotation{}
		if !unmarshalAnnotation(val, got) {
			return
		}
		want := &recordpb.Annotation{}
		if err := proto.Unmarshal(val, want); err != nil {
			t.Fatalf("unmarshalAnnotation read %x, which proto.Unmarshal refuses: %v", val, err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("%x: unmarshalAnnotation gives\n%v\nproto.Unmarshal gives\n%v", val, got, want)
		}
	})
}
