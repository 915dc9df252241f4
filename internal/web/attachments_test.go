package web_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// upload is one file part of a multipart form.
type upload struct {
	field   string // default attachments[]
	name    string
	content string
	// disposition replaces the whole Content-Disposition, for names multipart.Writer
	// cannot write (RFC 2231 encoded ones).
	disposition string
}

// multipartForm builds a form of text fields and files. Every file claims to be a PNG, which
// the desk must not believe.
func multipartForm(fields [][2]string, files ...upload) (string, []byte) {
	var b bytes.Buffer // writes to it cannot fail
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	for _, f := range files {
		if f.field == "" {
			f.field = "attachments[]"
		}
		h := textproto.MIMEHeader{}
		cd := f.disposition
		if cd == "" {
			cd = fmt.Sprintf(`form-data; name="%s"; filename="%s"`, quote.Replace(f.field), quote.Replace(f.name))
		}
		h.Set("Content-Disposition", cd)
		h.Set("Content-Type", "image/png")
		pw, _ := w.CreatePart(h)
		pw.Write([]byte(f.content))
	}
	w.Close()
	return w.FormDataContentType(), b.Bytes()
}

func post(c *testdesk.Client, path string, fields [][2]string, files ...upload) *testdesk.Response {
	ct, body := multipartForm(fields, files...)
	return c.Send("POST", path, ct, body)
}

// storedFiles lists the files in the desk's storage directory, relative to it.
func storedFiles(t *testing.T, d *testdesk.Desk) []string {
	t.Helper()
	root := d.Config().StoragePath
	var out []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// nothingStored fails unless the storage directory and the attachments table are empty.
func nothingStored(t *testing.T, d *sqlDesk) {
	t.Helper()
	if files := storedFiles(t, d.Desk); len(files) != 0 {
		t.Fatalf("files left in storage: %v", files)
	}
	if n := d.count(`SELECT count(*) FROM attachments`); n != 0 {
		t.Fatalf("%d attachment rows written", n)
	}
}

func attachmentsOf(v any) []map[string]any {
	var out []map[string]any
	for _, a := range v.([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

var pngHeader = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

func TestUploadsOnCreateReplyAndNote(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		customer, agent := d.User("customer"), d.User("agent")

		created := post(customer, "/tickets", [][2]string{{"subject", "Broken"}, {"description", "See files"}},
			upload{name: "notes.txt", content: "plain words"},
			upload{name: "shot.png", content: pngHeader},
		).Want(201).Data()
		ref := created["reference"].(string)
		tk := ticket{ID: int64(created["id"].(float64)), Ref: ref}

		detail := customer.Do("GET", tk.own(""), nil).Want(200).Data()
		atts := attachmentsOf(detail["attachments"])
		if len(atts) != 2 {
			t.Fatalf("attachments = %v", detail["attachments"])
		}
		for i, want := range []struct{ name, mime, content string }{
			{"notes.txt", "text/plain; charset=utf-8", "plain words"},
			{"shot.png", "image/png", pngHeader},
		} {
			a := atts[i]
			url := fmt.Sprintf("/support/attachments/%d/download", int64(a["id"].(float64)))
			if a["original_filename"] != want.name || a["mime_type"] != want.mime || a["size"] != float64(len(want.content)) ||
				a["url"] != url || a["reply_id"] != nil {
				t.Fatalf("attachment %d = %v, want %s %s url %s", i, a, want.name, want.mime, url)
			}
			got := customer.Do("GET", strings.TrimPrefix(url, "/support"), nil).Want(200)
			if string(got.Body) != want.content || got.Header.Get("Content-Type") != want.mime {
				t.Fatalf("download %s = %q as %q", want.name, got.Body, got.Header.Get("Content-Type"))
			}
		}

		// An agent replies with one file under "attachments" and notes with another; a
		// customer replies with files numbered the way Inertia numbers them.
		reply := post(agent, tk.path("/reply"), [][2]string{{"body", "Here is the fix"}}, upload{field: "attachments", name: "fix.txt", content: "fix"}).Want(201).Data()
		if ra := attachmentsOf(reply["attachments"]); len(ra) != 1 || ra[0]["original_filename"] != "fix.txt" || ra[0]["url"] == nil {
			t.Fatalf("reply attachments = %v", reply["attachments"])
		}
		post(agent, tk.path("/note"), [][2]string{{"body", "Internal log"}}, upload{name: "log.txt", content: "secret log"}).Want(201)
		post(customer, tk.own("/reply"), [][2]string{{"body", "Thanks"}},
			upload{field: "attachments[1]", name: "second.txt", content: "2"},
			upload{field: "attachments[0]", name: "first.txt", content: "1"},
		).Want(201)

		staff := agent.Do("GET", tk.path(""), nil).Want(200).Data()
		if n := len(attachmentsOf(staff["attachments"])); n != 6 {
			t.Fatalf("staff see %d attachments, want 6", n)
		}
		var names [][]string
		for _, r := range staff["replies"].([]any) {
			var list []string
			for _, a := range attachmentsOf(r.(map[string]any)["attachments"]) {
				list = append(list, a["original_filename"].(string))
			}
			names = append(names, list)
		}
		if fmt.Sprint(names) != "[[fix.txt] [log.txt] [first.txt second.txt]]" {
			t.Fatalf("reply attachments = %v", names)
		}
		// The customer does not see the note, nor its file.
		mine := customer.Do("GET", tk.own(""), nil).Want(200).Data()
		for _, a := range attachmentsOf(mine["attachments"]) {
			if a["original_filename"] == "log.txt" {
				t.Fatal("the customer sees the internal note's file")
			}
		}
		if n := len(attachmentsOf(mine["attachments"])); n != 5 {
			t.Fatalf("customer sees %d attachments, want 5", n)
		}
		if files, rows := len(storedFiles(t, d.Desk)), d.count(`SELECT count(*) FROM attachments`); files != 6 || rows != 6 {
			t.Fatalf("%d files stored for %d rows, want 6 of each", files, rows)
		}

		// Staff open a ticket with files and typed fields from a form.
		tag, dept := d.tag("billing"), d.department("Support")
		staffTicket := post(agent, "/agent/tickets", [][2]string{
			{"subject", "By phone"}, {"description", "Caller sent a file"}, {"requester_id", fmt.Sprint(customer.ID)},
			{"department_id", fmt.Sprint(dept)}, {"tag_ids[]", fmt.Sprint(tag)}, {"priority", "high"},
		}, upload{name: "call.txt", content: "transcript"}).Want(201).Data()
		if staffTicket["department_id"] != float64(dept) || staffTicket["requester_id"] != float64(customer.ID) || staffTicket["priority"] != "high" {
			t.Fatalf("staff ticket from a form = %v", staffTicket)
		}
		shown := agent.Do("GET", idPath(int64(staffTicket["id"].(float64))), nil).Want(200).Data()
		if len(attachmentsOf(shown["attachments"])) != 1 || len(shown["tags"].([]any)) != 1 {
			t.Fatalf("staff ticket = %v", shown)
		}
		// A form without files is as good as JSON; an empty file input is no file.
		post(customer, tk.own("/reply"), [][2]string{{"body", "No files"}, {"attachments[]", ""}}).Want(201)
		// A form's fields are checked like JSON's.
		post(customer, "/tickets", [][2]string{{"subject", "s"}, {"description", "d"}, {"hack", "1"}}).Want(422).FieldError("hack")
		post(agent, "/agent/tickets", [][2]string{{"subject", "s"}, {"description", "d"}, {"department_id", "x"}}).Want(422).FieldError("department_id")
		post(agent, "/agent/tickets", [][2]string{{"subject", "s"}, {"description", "d"}}, upload{field: "avatar", name: "a.txt", content: "a"}).Want(422).FieldError("avatar")
		post(customer, tk.own("/reply"), [][2]string{{"body", "x"}, {"attachments[]", "not a file"}}).Want(422).FieldError("attachments")
		customer.Send("POST", tk.own("/reply"), "multipart/form-data", []byte("no boundary")).Want(422).FieldError("body")
		if files := len(storedFiles(t, d.Desk)); files != 7 {
			t.Fatalf("%d files stored, want 7", files)
		}
	})
}

func TestUploadLimits(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		admin, customer, agent := d.User("admin"), d.User("customer"), d.User("agent")
		tk := open(customer, "Limits")
		admin.Do("POST", "/admin/settings", map[string]any{"max_attachments_per_reply": 2, "max_attachment_size_kb": 1}).Want(200)
		before := state(d.Desk, agent, tk)
		small := upload{name: "ok.txt", content: "ok"}
		big := upload{name: "big.txt", content: strings.Repeat("x", 1025)}

		routes := []struct {
			c      *testdesk.Client
			path   string
			fields [][2]string
		}{
			{customer, "/tickets", [][2]string{{"subject", "s"}, {"description", "d"}}},
			{customer, tk.own("/reply"), [][2]string{{"body", "b"}}},
			{agent, "/agent/tickets", [][2]string{{"subject", "s"}, {"description", "d"}}},
			{agent, tk.path("/reply"), [][2]string{{"body", "b"}}},
			{agent, tk.path("/note"), [][2]string{{"body", "b"}}},
		}
		for _, rt := range routes {
			msg := post(rt.c, rt.path, rt.fields, small, small, small).Want(422).FieldError("attachments.2")
			if !strings.Contains(msg, "at most 2") {
				t.Fatalf("%s: count message %q", rt.path, msg)
			}
			msg = post(rt.c, rt.path, rt.fields, small, big).Want(422).FieldError("attachments.1")
			if !strings.Contains(msg, "1 kilobytes") {
				t.Fatalf("%s: size message %q", rt.path, msg)
			}
			// A body beyond every allowed file plus the slack is refused while it is read.
			post(rt.c, rt.path, rt.fields, upload{name: "huge.txt", content: strings.Repeat("x", 2<<20)}).Want(413)
		}
		nothingStored(t, d)
		if after := state(d.Desk, agent, tk); after != before {
			t.Fatalf("refused uploads changed the desk:\n before %s\n after  %s", before, after)
		}
		// At the limits, files are accepted.
		post(customer, tk.own("/reply"), [][2]string{{"body", "b"}}, small, upload{name: "full.txt", content: strings.Repeat("x", 1024)}).Want(201)

		// No attachments at all when the setting says none.
		admin.Do("POST", "/admin/settings", map[string]any{"max_attachments_per_reply": 0}).Want(200)
		post(customer, tk.own("/reply"), [][2]string{{"body", "b"}}, small).Want(422).FieldError("attachments.0")
		if files := len(storedFiles(t, d.Desk)); files != 2 {
			t.Fatalf("%d files stored, want 2", files)
		}
	})
}

// TestFailedChangesLeaveNoFile: files are stored before the ticket transaction and removed
// when it fails, whatever fails.
func TestFailedChangesLeaveNoFile(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "Exists")
		lightAgent := d.User("light_agent")
		file := upload{name: "f.txt", content: "data"}

		post(agent, "/agent/tickets/999999/reply", [][2]string{{"body", "To nowhere"}}, file, file).Want(404)
		post(agent, tk.path("/reply"), [][2]string{{"body", "  "}}, file).Want(422).FieldError("body")
		post(customer, "/tickets", [][2]string{{"subject", "s"}, {"description", "d"}, {"priority", "whenever"}}, file).Want(422).FieldError("priority")
		post(agent, "/agent/tickets", [][2]string{{"subject", "s"}, {"description", "d"}, {"requester_id", "999999"}}, file).Want(422).FieldError("requester_id")
		post(lightAgent, tk.path("/reply"), [][2]string{{"body", "Public?"}}, file).Want(403)
		nothingStored(t, d)
	})
}

var keyShape = regexp.MustCompile(`^[0-9a-f]{2}/[0-9a-f]{32}$`)

func TestHostileFilenamesAreStoredSafely(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		customer := d.User("customer")
		tk := open(customer, "Names")
		long := strings.Repeat("a", 300) + ".pdf"
		cases := []struct {
			file upload
			want string
		}{
			{upload{name: "../../etc/passwd"}, "passwd"},
			{upload{name: `..\x`}, "x"},
			{upload{name: `C:\Windows\system.ini`}, "system.ini"},
			{upload{disposition: `form-data; name="attachments[]"; filename*=UTF-8''a%00b.txt`}, "ab.txt"},
			{upload{disposition: `form-data; name="attachments[]"; filename*=UTF-8''%1B%5B31mred%E2%80%AEtxt.exe`}, "[31mredtxt.exe"},
			{upload{disposition: `form-data; name="attachments[]"; filename*=UTF-8''..`}, "attachment"},
			{upload{name: long}, strings.Repeat("a", 251) + ".pdf"},
			{upload{name: "résumé \"final\".pdf"}, "résumé \"final\".pdf"},
		}
		for _, c := range cases {
			c.file.content = "content"
			reply := post(customer, tk.own("/reply"), [][2]string{{"body", "file"}}, c.file).Want(201).Data()
			att := attachmentsOf(reply["attachments"])[0]
			if att["original_filename"] != c.want {
				t.Fatalf("stored name %q, want %q", att["original_filename"], c.want)
			}
			got := customer.Do("GET", strings.TrimPrefix(att["url"].(string), "/support"), nil).Want(200)
			cd := got.Header.Get("Content-Disposition")
			_, exact, _ := strings.Cut(cd, "filename*=UTF-8''")
			if name, err := url.PathUnescape(exact); err != nil || name != c.want || !strings.HasPrefix(cd, `attachment; filename="`) ||
				strings.ContainsAny(cd, "\x00\r\n/\\") {
				t.Fatalf("Content-Disposition %q for %q", cd, c.want)
			}
		}
		// Every file sits under a generated key, whatever its name said.
		files := storedFiles(t, d.Desk)
		if len(files) != len(cases) {
			t.Fatalf("stored %v", files)
		}
		for _, f := range files {
			if !keyShape.MatchString(f) {
				t.Fatalf("stored file %q is not under a generated key", f)
			}
		}
	})
}

func TestDownloadsAreAuthorizedThroughTheTicket(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		alice, bob := d.User("customer"), d.User("customer")
		agent, light := d.User("agent"), d.User("light_agent")
		outsider := d.User(d.Role("reporter", "report.view"))
		created := post(alice, "/tickets", [][2]string{{"subject", "Mine"}, {"description", "d"}}, upload{name: "a.txt", content: "alice"}).Want(201).Data()
		tk := ticket{ID: int64(created["id"].(float64)), Ref: created["reference"].(string)}
		onTicket := attachmentsOf(alice.Do("GET", tk.own(""), nil).Want(200).Data()["attachments"])[0]["url"].(string)
		onReply := attachmentsOf(post(agent, tk.path("/reply"), [][2]string{{"body", "r"}}, upload{name: "r.txt", content: "reply"}).Want(201).Data()["attachments"])[0]["url"].(string)
		onNote := attachmentsOf(post(agent, tk.path("/note"), [][2]string{{"body", "n"}}, upload{name: "n.txt", content: "note"}).Want(201).Data()["attachments"])[0]["url"].(string)
		path := func(url string) string { return strings.TrimPrefix(url, "/support") }

		for _, url := range []string{onTicket, onReply} {
			alice.Do("GET", path(url), nil).Want(200)
		}
		alice.Do("GET", path(onNote), nil).Want(404)
		for _, url := range []string{onTicket, onReply, onNote} {
			bob.Do("GET", path(url), nil).Want(404)
			outsider.Do("GET", path(url), nil).Want(404)
			agent.Do("GET", path(url), nil).Want(200)
			light.Do("GET", path(url), nil).Want(200)
			d.Anonymous().Do("GET", path(url), nil).Want(401)
		}
		if body := string(agent.Do("GET", path(onNote), nil).Want(200).Body); body != "note" {
			t.Fatalf("note file = %q", body)
		}
		for _, id := range []string{"999999", "0", "-1", "x", "1.0", "99999999999999999999"} {
			agent.Do("GET", "/attachments/"+id+"/download", nil).Want(404)
		}
	})
}

func TestActiveContentIsServedAsBytes(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		customer, agent := d.User("customer"), d.User("agent")
		tk := open(customer, "XSS")
		for _, c := range []struct{ name, content, sniffed string }{
			{"page.html", "<html><script>alert(document.cookie)</script></html>", "text/html; charset=utf-8"},
			{"image.svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`, "text/xml; charset=utf-8"},
			{"innocent.txt", "<!DOCTYPE html><script>alert(1)</script>", "text/html; charset=utf-8"},
		} {
			att := attachmentsOf(post(customer, tk.own("/reply"), [][2]string{{"body", "b"}}, upload{name: c.name, content: c.content}).Want(201).Data()["attachments"])[0]
			if att["mime_type"] != c.sniffed {
				t.Fatalf("%s stored as %v, want %s", c.name, att["mime_type"], c.sniffed)
			}
			r := agent.Do("GET", strings.TrimPrefix(att["url"].(string), "/support"), nil).Want(200)
			h := r.Header
			if h.Get("Content-Type") != "application/octet-stream" || h.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
				t.Fatalf("%s served with %v", c.name, h)
			}
			if string(r.Body) != c.content {
				t.Fatalf("%s body = %q", c.name, r.Body)
			}
		}
		// A name outside ASCII is sent exactly in filename* and approximately in filename.
		att := attachmentsOf(post(customer, tk.own("/reply"), [][2]string{{"body", "b"}}, upload{name: "résumé \"final\" 100%.pdf", content: "%PDF-1.4"}).Want(201).Data()["attachments"])[0]
		r := customer.Do("GET", strings.TrimPrefix(att["url"].(string), "/support"), nil).Want(200)
		want := `attachment; filename="r_sum_ _final_ 100_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%20100%25.pdf`
		if got := r.Header.Get("Content-Disposition"); got != want {
			t.Fatalf("Content-Disposition\n got %s\nwant %s", got, want)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/pdf" {
			t.Fatalf("PDF served as %q", ct)
		}
	})
}
