package web

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/sla"
)

// slaPolicyBody is the request body of an SLA policy. The hours stay raw until each priority
// is decoded on its own, so that a bad value's error names it ("first_response_hours.high");
// business_schedule_id stays raw so that null (clear it) differs from leaving it out.
type slaPolicyBody struct {
	Name               *string                     `json:"name"`
	Description        *string                     `json:"description"`
	FirstResponseHours *map[string]json.RawMessage `json:"first_response_hours"`
	ResolutionHours    *map[string]json.RawMessage `json:"resolution_hours"`
	BusinessHoursOnly  *bool                       `json:"business_hours_only"`
	BusinessScheduleID json.RawMessage             `json:"business_schedule_id"`
	IsDefault          *bool                       `json:"is_default"`
	IsActive           *bool                       `json:"is_active"`
	PauseOnWaiting     *bool                       `json:"pause_on_waiting"`
	WarningMinutes     *int                        `json:"warning_minutes"`
	DepartmentIDs      *[]int64                    `json:"department_ids"`
}

func decodeSLAPolicy(r *http.Request) (sla.PolicyInput, error) {
	var body slaPolicyBody
	if err := decode(r, &body); err != nil {
		return sla.PolicyInput{}, err
	}
	in := sla.PolicyInput{
		Name: body.Name, Description: body.Description, BusinessHoursOnly: body.BusinessHoursOnly,
		IsDefault: body.IsDefault, IsActive: body.IsActive, PauseOnWaiting: body.PauseOnWaiting,
		WarningMinutes: body.WarningMinutes, DepartmentIDs: body.DepartmentIDs,
	}
	var v apperr.Validation
	in.FirstResponseHours = decodeHours(&v, body.FirstResponseHours, "first_response_hours")
	in.ResolutionHours = decodeHours(&v, body.ResolutionHours, "resolution_hours")
	if len(body.BusinessScheduleID) > 0 {
		in.BusinessScheduleID.Set = true
		if err := json.Unmarshal(body.BusinessScheduleID, &in.BusinessScheduleID.ID); err != nil {
			v.Add("business_schedule_id", "The business_schedule_id field must be of type number or null.")
		}
	}
	return in, v.Err()
}

// decodeHours decodes each priority's hours on its own; errors name field.priority.
func decodeHours(v *apperr.Validation, raw *map[string]json.RawMessage, field string) *map[string]float64 {
	if raw == nil {
		return nil
	}
	keys := make([]string, 0, len(*raw))
	for k := range *raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]float64, len(keys))
	for _, k := range keys {
		var h float64
		if err := json.Unmarshal((*raw)[k], &h); err != nil || string((*raw)[k]) == "null" {
			v.Add(field+"."+k, "The "+field+"."+k+" field must be of type number.")
			continue
		}
		out[k] = h
	}
	return &out
}

func (s *Server) adminSLAPolicyIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.SLAPolicies.List(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminSLAPolicyStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	in, err := decodeSLAPolicy(r)
	if err != nil {
		return err
	}
	p, err := s.SLAPolicies.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, p)
}

func (s *Server) adminSLAPolicyShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "sla_policy", "SLA policy")
	if err != nil {
		return err
	}
	p, err := s.SLAPolicies.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, p)
}

// adminSLAPolicyUpdate serves PUT and PATCH alike: fields left out of the body are kept; the
// hours and department_ids, when sent, replace the whole map or list.
func (s *Server) adminSLAPolicyUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "sla_policy", "SLA policy")
	if err != nil {
		return err
	}
	in, err := decodeSLAPolicy(r)
	if err != nil {
		return err
	}
	p, err := s.SLAPolicies.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, p)
}

func (s *Server) adminSLAPolicyDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "sla_policy", "SLA policy")
	if err != nil {
		return err
	}
	if err := s.SLAPolicies.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
