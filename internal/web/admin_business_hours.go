package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/escalated-dev/escalated-go/internal/apperr"
	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/bizhours"
	"github.com/escalated-dev/escalated-go/internal/sla"
)

// businessHoursBody is the request body of a business schedule. The lists stay raw until
// each element is decoded on its own, so that a bad element's error names its place
// ("schedule.2.day"); encoding/json's errors leave the index out.
type businessHoursBody struct {
	Name     *string            `json:"name"`
	Timezone *string            `json:"timezone"`
	Schedule *[]json.RawMessage `json:"schedule"`
	Holidays *[]json.RawMessage `json:"holidays"`
}

func decodeBusinessHours(r *http.Request) (sla.ScheduleInput, error) {
	var body businessHoursBody
	if err := decode(r, &body); err != nil {
		return sla.ScheduleInput{}, err
	}
	in := sla.ScheduleInput{Name: body.Name, Timezone: body.Timezone}
	var err error
	if in.Schedule, err = decodeItems[bizhours.Interval](body.Schedule, "schedule"); err != nil {
		return in, err
	}
	in.Holidays, err = decodeItems[sla.HolidayInput](body.Holidays, "holidays")
	return in, err
}

// decodeItems decodes each raw element of a list strictly into T. Errors name the element's
// field as list.index.field.
func decodeItems[T any](raw *[]json.RawMessage, list string) (*[]T, error) {
	if raw == nil {
		return nil, nil
	}
	out := make([]T, len(*raw))
	for i, item := range *raw {
		dec := json.NewDecoder(bytes.NewReader(item))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out[i]); err != nil {
			return nil, itemError(err, fmt.Sprintf("%s.%d", list, i))
		}
	}
	return &out, nil
}

func itemError(err error, path string) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			path += "." + typeErr.Field
		}
		return apperr.Invalid(path, fmt.Sprintf("The %s field must be of type %s.", path, jsonType(typeErr.Type.Kind().String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		path += "." + strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Invalid(path, fmt.Sprintf("The %s field is not accepted here.", path))
	default:
		return apperr.Invalid(path, fmt.Sprintf("The %s item could not be read.", path))
	}
}

func (s *Server) adminBusinessHourIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.BusinessHours.List(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminBusinessHourStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	in, err := decodeBusinessHours(r)
	if err != nil {
		return err
	}
	b, err := s.BusinessHours.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, b)
}

func (s *Server) adminBusinessHourShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "business_hour", "Business schedule")
	if err != nil {
		return err
	}
	b, err := s.BusinessHours.Get(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, b)
}

// adminBusinessHourUpdate serves PUT and PATCH alike: fields left out of the body are kept,
// and a list that is sent replaces the whole list.
func (s *Server) adminBusinessHourUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "business_hour", "Business schedule")
	if err != nil {
		return err
	}
	in, err := decodeBusinessHours(r)
	if err != nil {
		return err
	}
	b, err := s.BusinessHours.Update(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, b)
}

func (s *Server) adminBusinessHourDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "business_hour", "Business schedule")
	if err != nil {
		return err
	}
	if err := s.BusinessHours.Delete(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
