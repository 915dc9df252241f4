package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/escalated-dev/escalated-go/internal/testdesk"
)

// officeHours is a request body for a New York office open 09:00–12:00 and 13:00–17:00 on
// weekdays, closed at Christmas every year.
func officeHours(name string) map[string]any {
	var schedule []map[string]any
	for day := 1; day <= 5; day++ {
		schedule = append(schedule,
			map[string]any{"day": day, "start": "13:00", "end": "17:00"},
			map[string]any{"day": day, "start": "09:00", "end": "12:00"})
	}
	return map[string]any{
		"name":     name,
		"timezone": "America/New_York",
		"schedule": schedule,
		"holidays": []map[string]any{
			{"date": "2026-12-25", "recurring": true, "name": "Christmas"},
			{"date": "2026-11-26", "recurring": false, "name": "Thanksgiving"},
		},
	}
}

func TestAdminManagesBusinessHours(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		agent := d.User("agent")

		created := admin.Do("POST", "/admin/business-hours", officeHours("New York office")).Want(201).Data()
		id := int64(created["id"].(float64))
		if id < 1 || created["name"] != "New York office" || created["timezone"] != "America/New_York" {
			t.Fatalf("created %v", created)
		}
		schedule := created["schedule"].([]any)
		if len(schedule) != 10 {
			t.Fatalf("created schedule %v", schedule)
		}
		// Stored sorted by day and start, whatever the order sent.
		if first := schedule[0].(map[string]any); first["day"] != 1.0 || first["start"] != "09:00" || first["end"] != "12:00" {
			t.Fatalf("first interval %v", first)
		}
		holidays := created["holidays"].([]any)
		if len(holidays) != 2 {
			t.Fatalf("created holidays %v", holidays)
		}
		if h := holidays[0].(map[string]any); h["date"] != "2026-11-26" || h["recurring"] != false || h["name"] != "Thanksgiving" || h["id"] == nil {
			t.Fatalf("first holiday %v", h)
		}
		if h := holidays[1].(map[string]any); h["date"] != "2026-12-25" || h["recurring"] != true || h["name"] != "Christmas" {
			t.Fatalf("second holiday %v", h)
		}
		if created["created_at"] == nil || created["updated_at"] == nil {
			t.Fatalf("created without timestamps %v", created)
		}

		admin.Do("POST", "/admin/business-hours", map[string]any{
			"name": "Around the clock", "timezone": "UTC",
			"schedule": []map[string]any{
				{"day": 1, "start": "00:00", "end": "24:00"}, {"day": 2, "start": "00:00", "end": "24:00"},
				{"day": 3, "start": "00:00", "end": "24:00"}, {"day": 4, "start": "00:00", "end": "24:00"},
				{"day": 5, "start": "00:00", "end": "24:00"}, {"day": 6, "start": "00:00", "end": "24:00"},
				{"day": 7, "start": "00:00", "end": "24:00"},
			},
		}).Want(201)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		agent.Do("GET", "/admin/business-hours", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[0]["name"] != "Around the clock" || list.Data[1]["name"] != "New York office" ||
			len(list.Data[0]["holidays"].([]any)) != 0 || len(list.Data[1]["holidays"].([]any)) != 2 {
			t.Fatalf("list %v", list.Data)
		}

		path := fmt.Sprintf("/admin/business-hours/%d", id)
		if shown := agent.Do("GET", path, nil).Want(200).Data(); shown["name"] != "New York office" || len(shown["schedule"].([]any)) != 10 {
			t.Fatalf("shown %v", shown)
		}

		// PUT replaces what it sends and keeps the rest.
		d.Clock.Advance(60_000_000_000)
		updated := admin.Do("PUT", path, map[string]any{
			"name":     "London office",
			"timezone": "Europe/London",
			"schedule": []map[string]any{{"day": 1, "start": "08:30", "end": "16:30"}},
		}).Want(200).Data()
		if updated["name"] != "London office" || updated["timezone"] != "Europe/London" || len(updated["schedule"].([]any)) != 1 ||
			len(updated["holidays"].([]any)) != 2 || updated["updated_at"] == created["updated_at"] || updated["created_at"] != created["created_at"] {
			t.Fatalf("updated %v", updated)
		}
		patched := admin.Do("PATCH", path, map[string]any{"holidays": []map[string]any{}}).Want(200).Data()
		if len(patched["holidays"].([]any)) != 0 || patched["name"] != "London office" || len(patched["schedule"].([]any)) != 1 {
			t.Fatalf("patched %v", patched)
		}
		patched = admin.Do("PATCH", path, map[string]any{"holidays": []map[string]any{{"date": "2027-01-01"}}}).Want(200).Data()
		if h := patched["holidays"].([]any); len(h) != 1 || h[0].(map[string]any)["recurring"] != false || h[0].(map[string]any)["name"] != "" {
			t.Fatalf("patched holidays %v", patched["holidays"])
		}
		// A PATCH that changes nothing leaves updated_at alone.
		d.Clock.Advance(60_000_000_000)
		same := admin.Do("PATCH", path, map[string]any{"name": "London office"}).Want(200).Data()
		if same["updated_at"] != patched["updated_at"] {
			t.Fatalf("no-op patch moved updated_at: %v → %v", patched["updated_at"], same["updated_at"])
		}

		res := admin.Do("DELETE", path, nil).Want(204)
		if len(res.Body) != 0 {
			t.Fatalf("delete body %q", res.Body)
		}
		admin.Do("GET", path, nil).Want(404)
		admin.Do("PUT", path, map[string]any{"name": "Back"}).Want(404)
		admin.Do("DELETE", path, nil).Want(404)
		admin.Do("GET", "/admin/business-hours", nil).Want(200).Decode(&list)
		if len(list.Data) != 1 || list.Data[0]["name"] != "Around the clock" {
			t.Fatalf("list after delete %v", list.Data)
		}
	})
}

func TestBusinessHoursAccess(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		id := int64(admin.Do("POST", "/admin/business-hours", officeHours("Office")).Want(201).Data()["id"].(float64))
		path := fmt.Sprintf("/admin/business-hours/%d", id)

		// Agents hold sla.view but not sla.manage.
		agent := d.User("agent")
		agent.Do("GET", "/admin/business-hours", nil).Want(200)
		agent.Do("GET", path, nil).Want(200)
		agent.Do("POST", "/admin/business-hours", officeHours("Mine")).Want(403)
		agent.Do("PUT", path, map[string]any{"name": "Mine"}).Want(403)
		agent.Do("PATCH", path, map[string]any{"name": "Mine"}).Want(403)
		agent.Do("DELETE", path, nil).Want(403)

		light := d.User("light_agent")
		light.Do("GET", "/admin/business-hours", nil).Want(403)
		light.Do("GET", path, nil).Want(403)

		customer := d.User("customer")
		customer.Do("GET", "/admin/business-hours", nil).Want(403)
		customer.Do("GET", path, nil).Want(403)
		customer.Do("POST", "/admin/business-hours", officeHours("Mine")).Want(403)
		customer.Do("DELETE", path, nil).Want(403)

		anon := d.Anonymous()
		anon.Do("GET", "/admin/business-hours", nil).Want(401)
		anon.Do("GET", path, nil).Want(401)
		anon.Do("POST", "/admin/business-hours", officeHours("Mine")).Want(401)
		anon.Do("PATCH", path, map[string]any{"name": "Mine"}).Want(401)
		anon.Do("DELETE", path, nil).Want(401)

		// A role with sla.manage alone may write but not read.
		manager := d.User(d.Role("sla_manager", "sla.manage"))
		manager.Do("POST", "/admin/business-hours", officeHours("Theirs")).Want(201)
		manager.Do("GET", "/admin/business-hours", nil).Want(403)

		var list struct {
			Data []map[string]any `json:"data"`
		}
		admin.Do("GET", "/admin/business-hours", nil).Want(200).Decode(&list)
		if len(list.Data) != 2 || list.Data[0]["name"] != "Office" || list.Data[1]["name"] != "Theirs" {
			t.Fatalf("list %v", list.Data)
		}
	})
}

func TestBusinessHoursHostileInput(t *testing.T) {
	testdesk.Each(t, func(t *testing.T, d *testdesk.Desk) {
		admin := d.User("admin")
		id := int64(admin.Do("POST", "/admin/business-hours", officeHours("Office")).Want(201).Data()["id"].(float64))
		path := fmt.Sprintf("/admin/business-hours/%d", id)

		// with returns a valid body with one key replaced, or removed when v is nil.
		with := func(key string, v any) map[string]any {
			b := officeHours("Other")
			if v == nil {
				delete(b, key)
			} else {
				b[key] = v
			}
			return b
		}
		interval := func(day any, start, end any) []any {
			return []any{map[string]any{"day": day, "start": start, "end": end}}
		}
		var hugeSchedule []any
		for i := range 101 {
			hugeSchedule = append(hugeSchedule, map[string]any{"day": i%7 + 1, "start": fmt.Sprintf("%02d:00", i%24), "end": "24:00"})
		}
		var hugeHolidays []any
		for range 501 {
			hugeHolidays = append(hugeHolidays, map[string]any{"date": "2026-01-01"})
		}

		for _, c := range []struct {
			body  any
			field string
		}{
			{with("timezone", "Mars/Base"), "timezone"},
			{with("timezone", ""), "timezone"},
			{with("timezone", "Local"), "timezone"},
			{with("timezone", "../../../etc/passwd"), "timezone"},
			{with("timezone", "Europe/London\x00"), "timezone"},
			{with("timezone", strings.Repeat("A", 1000)), "timezone"},
			{with("timezone", nil), "timezone"},
			{with("timezone", 5), "timezone"},
			{with("name", nil), "name"},
			{with("name", "   "), "name"},
			{with("name", "nul\x00byte"), "name"},
			{with("name", strings.Repeat("n", 101)), "name"},
			{with("name", []string{"x"}), "name"},
			{with("schedule", nil), "schedule"},
			{with("schedule", []any{}), "schedule"},
			{with("schedule", "09:00-17:00"), "schedule"},
			{with("schedule", map[string]any{"day": 1}), "schedule"},
			{with("schedule", hugeSchedule), "schedule"},
			{with("schedule", interval(0, "09:00", "17:00")), "schedule.0.day"},
			{with("schedule", interval(8, "09:00", "17:00")), "schedule.0.day"},
			{with("schedule", interval(-1, "09:00", "17:00")), "schedule.0.day"},
			{with("schedule", interval(1.5, "09:00", "17:00")), "schedule.0.day"},
			{with("schedule", interval("1", "09:00", "17:00")), "schedule.0.day"},
			{with("schedule", interval(1, "25:00", "26:00")), "schedule.0.start"},
			{with("schedule", interval(1, "09:00", "25:00")), "schedule.0.end"},
			{with("schedule", interval(1, "9am", "17:00")), "schedule.0.start"},
			{with("schedule", interval(1, "09:00\x00", "17:00")), "schedule.0.start"},
			{with("schedule", interval(1, 900, "17:00")), "schedule.0.start"},
			{with("schedule", interval(1, "17:00", "09:00")), "schedule.0.end"},
			{with("schedule", interval(1, "09:00", "09:00")), "schedule.0.end"},
			{with("schedule", interval(1, "09:00", nil)), "schedule.0.end"},
			{with("schedule", []any{
				map[string]any{"day": 1, "start": "09:00", "end": "12:00"},
				map[string]any{"day": 1, "start": "11:00", "end": "13:00"},
			}), "schedule.1"},
			{with("schedule", []any{map[string]any{"day": 1, "start": "09:00", "end": "12:00", "tz": "UTC"}}), "schedule.0.tz"},
			{with("schedule", []any{map[string]any{"day": 1, "start": "09:00", "end": "12:00"}, "09:00"}), "schedule.1"},
			{with("schedule", []any{nil}), "schedule.0.day"},
			{with("holidays", []any{map[string]any{"date": "2026-02-30"}}), "holidays.0.date"},
			{with("holidays", []any{map[string]any{"date": "2026-01-01"}, map[string]any{"date": "2026-13-01"}}), "holidays.1.date"},
			{with("holidays", []any{map[string]any{"date": "25/12/2026"}}), "holidays.0.date"},
			{with("holidays", []any{map[string]any{"date": "2026-12-25\x00"}}), "holidays.0.date"},
			{with("holidays", []any{map[string]any{"name": "No date"}}), "holidays.0.date"},
			{with("holidays", []any{map[string]any{"date": 20261225}}), "holidays.0.date"},
			{with("holidays", []any{map[string]any{"date": "2026-12-25", "recurring": "yes"}}), "holidays.0.recurring"},
			{with("holidays", []any{map[string]any{"date": "2026-12-25", "name": "nul\x00"}}), "holidays.0.name"},
			{with("holidays", []any{map[string]any{"date": "2026-12-25", "name": strings.Repeat("n", 101)}}), "holidays.0.name"},
			{with("holidays", []any{map[string]any{"date": "2026-12-25", "country": "US"}}), "holidays.0.country"},
			{with("holidays", map[string]any{"date": "2026-12-25"}), "holidays"},
			{with("holidays", hugeHolidays), "holidays"},
			{with("colour", "red"), "colour"},
			{`{"name": "X"} {"name": "Y"}`, "body"},
			{`[]`, "body"},
			{`{"name": "X"`, "body"},
			{``, "body"},
		} {
			admin.Do("POST", "/admin/business-hours", c.body).Want(422).FieldError(c.field)
		}

		admin.Do("PATCH", path, map[string]any{"timezone": "Mars/Base"}).Want(422).FieldError("timezone")
		admin.Do("PATCH", path, map[string]any{"schedule": []any{}}).Want(422).FieldError("schedule")
		admin.Do("PATCH", path, map[string]any{"schedule": interval(1, "18:00", "08:00")}).Want(422).FieldError("schedule.0.end")
		admin.Do("PUT", path, map[string]any{"holidays": []any{map[string]any{"date": "2026-02-29"}}}).Want(422).FieldError("holidays.0.date")
		admin.Do("PATCH", path, map[string]any{"name": ""}).Want(422).FieldError("name")
		admin.Do("PATCH", path, map[string]any{"unknown": true}).Want(422).FieldError("unknown")

		for _, bad := range []string{"abc", "0", "-1", "1.5", "999999", "99999999999999999999", "%00"} {
			p := "/admin/business-hours/" + bad
			admin.Do("GET", p, nil).Want(404)
			admin.Do("PUT", p, map[string]any{"name": "X"}).Want(404)
			admin.Do("PATCH", p, map[string]any{"name": "X"}).Want(404)
			admin.Do("DELETE", p, nil).Want(404)
		}

		// Nothing bad was written: the one schedule is as it was created.
		var list struct {
			Data []map[string]any `json:"data"`
		}
		admin.Do("GET", "/admin/business-hours", nil).Want(200).Decode(&list)
		if len(list.Data) != 1 || list.Data[0]["name"] != "Office" || list.Data[0]["timezone"] != "America/New_York" ||
			len(list.Data[0]["schedule"].([]any)) != 10 || len(list.Data[0]["holidays"].([]any)) != 2 {
			t.Fatalf("schedules after hostile input: %v", list.Data)
		}
	})
}
