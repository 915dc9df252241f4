package web_test

import (
	"fmt"
	"net/url"
	"testing"
)

// TestQueueTotalsFollowBulkActions: the queue's totals come from ticket_counts (migration
// 0013), which triggers keep in step with tickets; after bulk actions and a deletion every
// total must still equal a count of the table.
func TestQueueTotalsFollowBulkActions(t *testing.T) {
	eachWithSQL(t, func(t *testing.T, d *sqlDesk) {
		customer, agent := d.User("customer"), d.User("agent")
		var ids []int64
		for i := range 8 {
			ids = append(ids, open(customer, fmt.Sprintf("T%d", i)).ID)
		}
		check := func(when string) {
			t.Helper()
			for query, where := range map[string]string{
				"":                                      "TRUE",
				"status=open":                           "status = 'open'",
				"status=resolved":                       "status = 'resolved'",
				"priority=urgent":                       "priority = 'urgent'",
				"status=open&priority=low":              "status = 'open' AND priority = 'low'",
				"unassigned=1":                          "assigned_to IS NULL",
				fmt.Sprintf("assigned_to=%d", agent.ID): fmt.Sprintf("assigned_to = %d", agent.ID),
			} {
				_, total := listSubjects(agent.Do("GET", "/agent/tickets?"+url.PathEscape(query), nil))
				if want := d.count(`SELECT count(*) FROM tickets WHERE ` + where); total != want {
					t.Fatalf("%s: GET /agent/tickets?%s total %d, the table has %d", when, query, total, want)
				}
			}
		}
		check("after creates")
		bulk(agent, ids[:5], "status", "resolved")
		check("after bulk status")
		bulk(agent, ids[2:7], "priority", "urgent")
		check("after bulk priority")
		bulk(agent, ids[1:4], "assign", agent.ID)
		check("after bulk assign")
		bulk(agent, ids[3:8], "priority", "low")
		check("after bulk priority again")
		d.exec(`DELETE FROM tickets WHERE id IN (?, ?)`, ids[0], ids[7])
		check("after deletes")
	})
}
