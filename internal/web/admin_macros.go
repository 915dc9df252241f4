package web

import (
	"encoding/json"
	"net/http"

	"github.com/escalated-dev/escalated-go/internal/auth"
	"github.com/escalated-dev/escalated-go/internal/rules"
	"github.com/escalated-dev/escalated-go/internal/ticket"
)

// macroBody is the request body of a macro. A macro has no trigger and no conditions, so a
// body that sends either is refused by decode as an unknown field.
type macroBody struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	IsShared    *bool              `json:"is_shared"`
	Actions     *[]json.RawMessage `json:"actions"`
}

func decodeMacro(r *http.Request) (rules.MacroInput, error) {
	var body macroBody
	if err := decode(r, &body); err != nil {
		return rules.MacroInput{}, err
	}
	in := rules.MacroInput{Name: body.Name, Description: body.Description, IsShared: body.IsShared}
	var err error
	in.Actions, err = decodeItems[rules.Action](body.Actions, "actions")
	return in, err
}

func (s *Server) adminMacroIndex(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	list, err := s.Rules.ListMacros(r.Context(), a)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, list)
}

func (s *Server) adminMacroStore(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	in, err := decodeMacro(r)
	if err != nil {
		return err
	}
	m, err := s.Rules.CreateMacro(r.Context(), a, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusCreated, m)
}

func (s *Server) adminMacroShow(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "macro", "Macro")
	if err != nil {
		return err
	}
	m, err := s.Rules.GetMacro(r.Context(), a, id)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, m)
}

// adminMacroUpdate serves PUT and PATCH alike: fields left out of the body are kept.
func (s *Server) adminMacroUpdate(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "macro", "Macro")
	if err != nil {
		return err
	}
	in, err := decodeMacro(r)
	if err != nil {
		return err
	}
	m, err := s.Rules.UpdateMacro(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	return data(w, http.StatusOK, m)
}

func (s *Server) adminMacroDestroy(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	id, err := pathID(r, "macro", "Macro")
	if err != nil {
		return err
	}
	if err := s.Rules.DeleteMacro(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type applyMacroInput struct {
	MacroID *int64 `json:"macro_id"`
}

func (s *Server) agentTicketMacro(w http.ResponseWriter, r *http.Request, a *auth.Actor) error {
	return ticketChange(s, w, r, func(id int64, in applyMacroInput) (*ticket.Ticket, error) {
		if in.MacroID == nil {
			return nil, invalid("macro_id", "The macro_id field is required.")
		}
		return s.Rules.ApplyMacro(r.Context(), a, id, *in.MacroID)
	})
}
