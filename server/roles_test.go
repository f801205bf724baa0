package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/factcheck/factcheck/server"
	"github.com/factcheck/factcheck/store"
)

// publicServices need no token and have no permission.
var publicServices = map[string]bool{
	"grpc.health.v1.Health":                    true,
	"grpc.reflection.v1.ServerReflection":      true,
	"grpc.reflection.v1alpha.ServerReflection": true,
}

// registeredMethods lists every method the server serves but the public
// ones, by full name, with its descriptor.
func registeredMethods(t *testing.T, srv *grpc.Server) map[string]protoreflect.MethodDescriptor {
	t.Helper()
	out := map[string]protoreflect.MethodDescriptor{}
	for svc, info := range srv.GetServiceInfo() {
		if publicServices[svc] {
			continue
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
		if err != nil {
			t.Fatalf("service %s is not in the registry: %v", svc, err)
		}
		sd := d.(protoreflect.ServiceDescriptor)
		for _, m := range info.Methods {
			md := sd.Methods().ByName(protoreflect.Name(m.Name))
			if md == nil {
				t.Fatalf("%s/%s has no descriptor", svc, m.Name)
			}
			out["/"+svc+"/"+m.Name] = md
		}
	}
	return out
}

// TestEveryMethodHasAPermission: deny by default makes a method without a
// permission unusable, and a permission left behind for a removed method
// is a lie in the README's table.
func TestEveryMethodHasAPermission(t *testing.T) {
	e := newEnv(t)
	methods := registeredMethods(t, e.srv)
	if len(methods) < 40 {
		t.Fatalf("only %d methods registered; is the server missing services?", len(methods))
	}
	for m := range methods {
		p, ok := server.MethodPermissions[m]
		if !ok {
			t.Errorf("%s has no entry in MethodPermissions", m)
			continue
		}
		if !server.RoleHas(store.RoleAdmin, p) {
			t.Errorf("%s needs %q, which is not in RoleMatrix: no role may call it", m, p)
		}
	}
	for m := range server.MethodPermissions {
		if _, ok := methods[m]; !ok {
			t.Errorf("MethodPermissions has %s, which the server does not register", m)
		}
	}
	seen := map[server.Permission]bool{}
	for _, row := range server.RoleMatrix {
		if seen[row.Permission] {
			t.Errorf("RoleMatrix lists %q twice", row.Permission)
		}
		seen[row.Permission] = true
		if row.MinRole < store.RoleViewer || row.MinRole > store.RoleAdmin {
			t.Errorf("RoleMatrix gives %q the role %v", row.Permission, row.MinRole)
		}
	}
}

var allRoles = []store.Role{store.RoleViewer, store.RoleReviewer, store.RoleEditor, store.RoleAdmin}

// TestEveryRPCByRole calls every method the server registers, found through
// the descriptors of its services (so a new RPC is covered the day it is
// added), with an empty request: without a token each must fail
// UNAUTHENTICATED; with each role's token it must fail PERMISSION_DENIED
// for the method's permission exactly when the role lacks it. An allowed
// call may fail otherwise (an empty request is rarely valid), but never in
// the auth layer.
func TestEveryRPCByRole(t *testing.T) {
	e := newEnv(t)
	// Content, so that WatchChanges has changes to send at once.
	e.seed(t)
	methods := registeredMethods(t, e.srv)
	names := make([]string, 0, len(methods))
	for m := range methods {
		names = append(names, m)
	}
	slices.Sort(names)

	t.Run("anonymous", func(t *testing.T) {
		anon := e.anon(t)
		for _, m := range names {
			err := callEmpty(t, anon.conn, m, methods[m])
			st := status.Convert(err)
			if st.Code() != codes.Unauthenticated || errorReason(err) != "TOKEN_MISSING" {
				t.Errorf("%s without a token: %v %s (%s), want UNAUTHENTICATED TOKEN_MISSING", m, st.Code(), errorReason(err), st.Message())
			}
		}
	})
	for _, role := range allRoles {
		t.Run(role.String(), func(t *testing.T) {
			as := e.as(t, "caller-"+strings.ToLower(strings.TrimPrefix(role.String(), "ROLE_")), role)
			for _, m := range names {
				perm := server.MethodPermissions[m]
				err := callEmpty(t, as.conn, m, methods[m])
				st := status.Convert(err)
				denied := st.Code() == codes.PermissionDenied && errorReason(err) == "PERMISSION_DENIED" &&
					errorMeta(err)["permission"] == string(perm)
				switch {
				case st.Code() == codes.Unauthenticated:
					t.Errorf("%s as %v: UNAUTHENTICATED (%s)", m, role, st.Message())
				case server.RoleHas(role, perm) && denied:
					t.Errorf("%s as %v, which holds %s: denied (%s)", m, role, perm, st.Message())
				case !server.RoleHas(role, perm) && !denied:
					t.Errorf("%s as %v, which lacks %s: %v %s %v (%s), want PERMISSION_DENIED naming %s",
						m, role, perm, st.Code(), errorReason(err), errorMeta(err), st.Message(), perm)
				}
			}
		})
	}
}

// callEmpty calls full method m with an empty request and returns its
// error: for streams, the first one opening, sending or receiving gives.
func callEmpty(t *testing.T, conn *grpc.ClientConn, m string, md protoreflect.MethodDescriptor) error {
	t.Helper()
	ctx, cancel := context.WithCancel(ctxT(t))
	// A stream that works (WatchChanges follows the feed) ends here.
	defer cancel()
	in := dynamicpb.NewMessage(md.Input())
	out := dynamicpb.NewMessage(md.Output())
	if !md.IsStreamingClient() && !md.IsStreamingServer() {
		return conn.Invoke(ctx, m, in, out)
	}
	desc := &grpc.StreamDesc{StreamName: string(md.Name()), ClientStreams: md.IsStreamingClient(), ServerStreams: md.IsStreamingServer()}
	s, err := conn.NewStream(ctx, desc, m)
	if err != nil {
		return err
	}
	if !md.IsStreamingClient() {
		if err := s.SendMsg(in); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	if err := s.CloseSend(); err != nil {
		return err
	}
	err = s.RecvMsg(out)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

func errorInfo(err error) *errdetails.ErrorInfo {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

func errorReason(err error) string { return errorInfo(err).GetReason() }

func errorMeta(err error) map[string]string { return errorInfo(err).GetMetadata() }

// roleMatrixMarkdown renders RoleMatrix as the README shows it: one row
// per permission, which roles hold it, and the methods that need it.
func roleMatrixMarkdown() string {
	byPerm := map[server.Permission][]string{}
	for m, p := range server.MethodPermissions {
		byPerm[p] = append(byPerm[p], m)
	}
	var b strings.Builder
	b.WriteString("| Permission | Viewer | Reviewer | Editor | Admin | Methods that need it |\n")
	b.WriteString("| --- | :-: | :-: | :-: | :-: | --- |\n")
	for _, row := range server.RoleMatrix {
		fmt.Fprintf(&b, "| `%s` |", row.Permission)
		for _, r := range allRoles {
			if server.RoleHas(r, row.Permission) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString("   |")
			}
		}
		b.WriteString(" " + methodList(byPerm[row.Permission]) + " |\n")
	}
	return b.String()
}

// methodList groups full method names by service: "ArticleService:
// GetArticle, ListArticles; SourceService: GetSource".
func methodList(methods []string) string {
	if len(methods) == 0 {
		return "checked per resource"
	}
	bySvc := map[string][]string{}
	var svcs []string
	for _, m := range methods {
		svc, name, _ := strings.Cut(strings.TrimPrefix(m, "/factcheck.v1."), "/")
		if bySvc[svc] == nil {
			svcs = append(svcs, svc)
		}
		bySvc[svc] = append(bySvc[svc], name)
	}
	slices.Sort(svcs)
	parts := make([]string, len(svcs))
	for i, svc := range svcs {
		slices.Sort(bySvc[svc])
		parts[i] = svc + ": " + strings.Join(bySvc[svc], ", ")
	}
	return strings.Join(parts, "; ")
}

// TestRoleMatrixInREADME keeps the README's role table equal to RoleMatrix
// and MethodPermissions, which are what the server enforces.
func TestRoleMatrixInREADME(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.ReplaceAll(string(b), "\r\n", "\n")
	sec, ok := strings.CutPrefix(readme[strings.Index(readme, "\n## Roles\n")+1:], "## Roles\n")
	if !ok {
		t.Fatal("README.md has no \"## Roles\" section")
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i+1]
	}
	want := roleMatrixMarkdown()
	header := want[:strings.IndexByte(want, '\n')+1]
	start := strings.Index(sec, header)
	if start < 0 {
		t.Fatalf("the Roles section of README.md has no role table; it should be:\n\n%s", want)
	}
	got := sec[start:]
	// The table ends at the first line that is not a row.
	end := 0
	for end < len(got) && strings.HasPrefix(got[end:], "|") {
		end += strings.IndexByte(got[end:], '\n') + 1
	}
	if got = got[:end]; got != want {
		t.Errorf("README.md's role table differs from RoleMatrix and MethodPermissions; it should be:\n\n%s\ngot:\n\n%s", want, got)
	}
}
